#pragma once

// The typed cloud-config: the top-level keys and the whole `rancher:` schema
// (reference §3.3, §3.5, §6.1, §7). Each struct's visit() is its schema: the key
// names, types and checks that decoding validates against.

#include "config/decode.h"
#include "config/values.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace corral::config {

struct HealthcheckConfig {
    StringOrList test;
    Duration interval;
    Duration timeout;
    std::optional<int64_t> retries;
    Duration start_period;
    bool disable { false };

    template<typename V>
    void visit(V& v)
    {
        v("test", test);
        v("interval", interval);
        v("timeout", timeout);
        v("retries", retries);
        v("start_period", start_period);
        v("disable", disable);
    }
};

struct LoggingConfig {
    std::string driver;
    std::map<std::string, std::string> options;

    template<typename V>
    void visit(V& v)
    {
        v("driver", driver);
        v("options", options);
    }
};

// A compose v1/v2 service as RancherOS services are written. The compose issue
// builds containers from it; here it is the schema that validates them.
struct ServiceConfig {
    std::string image;
    StringOrList command;
    StringOrList entrypoint;
    KeyValueList environment;
    std::vector<std::string> env_file;
    KeyValueList labels;
    std::string net;
    std::string network_mode;
    std::string pid;
    std::string ipc;
    std::string uts;
    bool privileged { false };
    std::vector<std::string> volumes;
    std::vector<std::string> volumes_from;
    std::string volume_driver;
    std::string restart;
    bool read_only { false };
    std::vector<std::string> cap_add;
    std::vector<std::string> cap_drop;
    std::vector<std::string> devices;
    std::map<std::string, Ulimit> ulimits;
    KeyValueList sysctls;
    std::string log_driver;
    std::map<std::string, std::string> log_opt;
    LoggingConfig logging;
    std::string user;
    std::string working_dir;
    bool tty { false };
    bool stdin_open { false };
    std::string container_name;
    std::string hostname;
    std::string domainname;
    std::vector<std::string> depends_on;
    std::vector<std::string> links;
    std::vector<std::string> external_links;
    HealthcheckConfig healthcheck;
    std::optional<int64_t> oom_score_adj;
    bool oom_kill_disable { false };
    std::vector<std::string> dns;
    std::vector<std::string> dns_search;
    KeyValueList extra_hosts;
    std::vector<std::string> tmpfs;
    std::vector<std::string> security_opt;
    std::vector<std::string> ports;
    std::vector<std::string> expose;
    ByteSize mem_limit;
    ByteSize memswap_limit;
    ByteSize mem_reservation;
    ByteSize shm_size;
    std::optional<int64_t> cpu_shares;
    std::optional<int64_t> cpu_quota;
    std::string cpuset;
    std::optional<int64_t> pids_limit;
    std::string stop_signal;
    Duration stop_grace_period;
    std::string cgroup_parent;
    bool init { false };
    std::string mac_address;

    template<typename V>
    void visit(V& v)
    {
        v("image", image);
        v("command", command);
        v("entrypoint", entrypoint);
        v("environment", environment);
        v("env_file", env_file);
        v("labels", labels);
        v("net", net);
        v("network_mode", network_mode);
        v("pid", pid);
        v("ipc", ipc);
        v("uts", uts);
        v("privileged", privileged);
        v("volumes", volumes);
        v("volumes_from", volumes_from);
        v("volume_driver", volume_driver);
        v("restart", restart, &check_restart_policy);
        v("read_only", read_only);
        v("cap_add", cap_add);
        v("cap_drop", cap_drop);
        v("devices", devices);
        v("ulimits", ulimits);
        v("sysctls", sysctls);
        v("log_driver", log_driver);
        v("log_opt", log_opt);
        v("logging", logging);
        v("user", user);
        v("working_dir", working_dir);
        v("tty", tty);
        v("stdin_open", stdin_open);
        v("container_name", container_name);
        v("hostname", hostname);
        v("domainname", domainname);
        v("depends_on", depends_on);
        v("links", links);
        v("external_links", external_links);
        v("healthcheck", healthcheck);
        v("oom_score_adj", oom_score_adj);
        v("oom_kill_disable", oom_kill_disable);
        v("dns", dns);
        v("dns_search", dns_search);
        v("extra_hosts", extra_hosts);
        v("tmpfs", tmpfs);
        v("security_opt", security_opt);
        v("ports", ports);
        v("expose", expose);
        v("mem_limit", mem_limit);
        v("memswap_limit", memswap_limit);
        v("mem_reservation", mem_reservation);
        v("shm_size", shm_size);
        v("cpu_shares", cpu_shares);
        v("cpu_quota", cpu_quota);
        v("cpuset", cpuset);
        v("pids_limit", pids_limit);
        v("stop_signal", stop_signal);
        v("stop_grace_period", stop_grace_period);
        v("cgroup_parent", cgroup_parent);
        v("init", init);
        v("mac_address", mac_address);
    }
};

// §3.5: one daemon's settings (system, bootstrap and user Docker).
struct DockerConfig {
    std::string engine;
    bool tls { false };
    std::vector<std::string> tls_args;
    std::vector<std::string> args;
    std::vector<std::string> extra_args;
    std::string server_cert;
    std::string server_key;
    std::string ca_cert;
    std::string ca_key;
    std::vector<std::string> environment;
    std::string storage_context;
    bool exec { false };
    std::string bridge;
    std::string bip;
    std::string config_file;
    std::string containerd;
    std::optional<bool> debug;
    std::string exec_root;
    std::string group;
    std::string graph;
    std::vector<std::string> host;
    std::optional<bool> live_restore;
    std::string log_driver;
    std::map<std::string, std::string> log_opts;
    std::string pid_file;
    std::string registry_mirror;
    std::optional<bool> restart;
    std::optional<bool> selinux_enabled;
    std::string storage_driver;
    std::optional<bool> userland_proxy;
    std::vector<std::string> insecure_registry;

    template<typename V>
    void visit(V& v)
    {
        v("engine", engine);
        v("tls", tls);
        v("tls_args", tls_args);
        v("args", args);
        v("extra_args", extra_args);
        v("server_cert", server_cert);
        v("server_key", server_key);
        v("ca_cert", ca_cert);
        v("ca_key", ca_key);
        v("environment", environment);
        v("storage_context", storage_context);
        v("exec", exec);
        v("bridge", bridge);
        v("bip", bip);
        v("config_file", config_file);
        v("containerd", containerd);
        v("debug", debug);
        v("exec_root", exec_root);
        v("group", group);
        v("graph", graph);
        v("host", host);
        v("live_restore", live_restore);
        v("log_driver", log_driver);
        v("log_opts", log_opts);
        v("pid_file", pid_file);
        v("registry_mirror", registry_mirror);
        v("restart", restart);
        v("selinux_enabled", selinux_enabled);
        v("storage_driver", storage_driver);
        v("userland_proxy", userland_proxy);
        v("insecure_registry", insecure_registry);
    }
};

// §6.1
struct InterfaceConfig {
    std::string match;
    bool dhcp { false };
    std::string dhcp_args;
    std::string address;
    std::vector<std::string> addresses;
    bool ipv4ll { false };
    std::string gateway;
    std::string gateway_ipv6;
    std::optional<int64_t> mtu;
    std::string bridge;
    std::string bond;
    std::map<std::string, std::string> bond_opts;
    std::vector<std::string> pre_up;
    std::vector<std::string> post_up;
    std::string vlans;
    std::string wifi_network;

    template<typename V>
    void visit(V& v)
    {
        v("match", match);
        v("dhcp", dhcp);
        v("dhcp_args", dhcp_args);
        v("address", address, &check_cidr);
        v("addresses", addresses, &check_cidr_list);
        v("ipv4ll", ipv4ll);
        v("gateway", gateway, &check_ip);
        v("gateway_ipv6", gateway_ipv6, &check_ip);
        v("mtu", mtu, &check_optional_mtu);
        v("bridge", bridge);
        v("bond", bond);
        v("bond_opts", bond_opts);
        v("pre_up", pre_up);
        v("post_up", post_up);
        v("vlans", vlans, &check_vlans);
        v("wifi_network", wifi_network);
    }

    static std::optional<std::string> check_optional_mtu(const std::optional<int64_t>& value)
    {
        return value ? check_mtu(*value) : std::nullopt;
    }
};

struct WifiNetworkConfig {
    std::string address;
    std::string gateway;
    std::optional<int64_t> scan_ssid;
    std::string ssid;
    std::string psk;
    std::optional<int64_t> priority;
    std::string pairwise;
    std::string group;
    std::string eap;
    std::string identity;
    std::string anonymous_identity;
    std::vector<std::string> ca_certs;
    std::vector<std::string> client_certs;
    std::vector<std::string> private_keys;
    std::vector<std::string> private_key_passwds;
    std::vector<std::string> phases;
    std::optional<int64_t> eapol_flags;
    std::string key_mgmt;
    std::string password;

    template<typename V>
    void visit(V& v)
    {
        v("address", address);
        v("gateway", gateway);
        v("scan_ssid", scan_ssid);
        v("ssid", ssid);
        v("psk", psk);
        v("priority", priority);
        v("pairwise", pairwise);
        v("group", group);
        v("eap", eap);
        v("identity", identity);
        v("anonymous_identity", anonymous_identity);
        v("ca_certs", ca_certs);
        v("client_certs", client_certs);
        v("private_keys", private_keys);
        v("private_key_passwds", private_key_passwds);
        v("phases", phases);
        v("eapol_flags", eapol_flags);
        v("key_mgmt", key_mgmt);
        v("password", password);
    }
};

struct ModemNetworkConfig {
    std::string apn;
    std::string extra_args;

    template<typename V>
    void visit(V& v)
    {
        v("apn", apn);
        v("extra_args", extra_args);
    }
};

struct DnsConfig {
    std::vector<std::string> nameservers;
    std::vector<std::string> search;

    template<typename V>
    void visit(V& v)
    {
        v("nameservers", nameservers);
        v("search", search);
    }
};

struct NetworkConfig {
    std::vector<std::string> pre_cmds;
    std::vector<std::string> post_cmds;
    std::optional<int64_t> dhcp_timeout;
    DnsConfig dns;
    std::map<std::string, InterfaceConfig> interfaces;
    std::string http_proxy;
    std::string https_proxy;
    std::string no_proxy;
    std::map<std::string, WifiNetworkConfig> wifi_networks;
    std::map<std::string, ModemNetworkConfig> modem_networks;

    template<typename V>
    void visit(V& v)
    {
        v("pre_cmds", pre_cmds);
        v("post_cmds", post_cmds);
        v("dhcp_timeout", dhcp_timeout);
        v("dns", dns);
        v("interfaces", interfaces);
        v("http_proxy", http_proxy);
        v("https_proxy", https_proxy);
        v("no_proxy", no_proxy);
        v("wifi_networks", wifi_networks);
        v("modem_networks", modem_networks);
    }
};

struct SshConfig {
    std::map<std::string, std::string> keys;
    bool daemon { false };
    int64_t port { 0 };
    std::string listen_address;

    template<typename V>
    void visit(V& v)
    {
        v("keys", keys);
        v("daemon", daemon);
        v("port", port, &check_port);
        v("listen_address", listen_address);
    }
};

struct StateConfig {
    std::string directory;
    std::string fstype;
    std::string dev;
    bool wait { false };
    bool required { false };
    std::vector<std::string> autoformat;
    bool formatzero { false };
    bool mdadm_scan { false };
    bool lvm_scan { false };
    bool cryptsetup { false };
    bool rngd { false };
    std::string script;
    std::string oem_fstype;
    std::string oem_dev;
    std::string boot_fstype;
    std::string boot_dev;

    template<typename V>
    void visit(V& v)
    {
        v("directory", directory);
        v("fstype", fstype);
        v("dev", dev);
        v("wait", wait);
        v("required", required);
        v("autoformat", autoformat);
        v("formatzero", formatzero);
        v("mdadm_scan", mdadm_scan);
        v("lvm_scan", lvm_scan);
        v("cryptsetup", cryptsetup);
        v("rngd", rngd);
        v("script", script);
        v("oem_fstype", oem_fstype);
        v("oem_dev", oem_dev);
        v("boot_fstype", boot_fstype);
        v("boot_dev", boot_dev);
    }
};

struct CloudInitConfig {
    std::vector<std::string> datasources;

    template<typename V>
    void visit(V& v) { v("datasources", datasources); }
};

struct RepositoryConfig {
    std::string url;

    template<typename V>
    void visit(V& v) { v("url", url); }
};

struct UpgradeConfig {
    std::string url;
    std::string image;
    std::string rollback;
    std::string policy;

    template<typename V>
    void visit(V& v)
    {
        v("url", url);
        v("image", image);
        v("rollback", rollback);
        v("policy", policy);
    }
};

// Docker's AuthConfig, with the key spellings go-yaml gives its fields.
struct RegistryAuth {
    std::string username;
    std::string password;
    std::string auth;
    std::string email;
    std::string serveraddress;
    std::string identitytoken;
    std::string registrytoken;

    template<typename V>
    void visit(V& v)
    {
        v("username", username);
        v("password", password);
        v("auth", auth);
        v("email", email);
        v("serveraddress", serveraddress);
        v("identitytoken", identitytoken);
        v("registrytoken", registrytoken);
    }
};

struct DefaultsConfig {
    std::string hostname;
    DockerConfig docker;
    NetworkConfig network;
    std::string system_docker_logs;

    template<typename V>
    void visit(V& v)
    {
        v("hostname", hostname);
        v("docker", docker);
        v("network", network);
        v("system_docker_logs", system_docker_logs);
    }
};

struct RancherConfig {
    std::string console;
    std::map<std::string, std::string> environment;
    std::map<std::string, ServiceConfig> services;
    std::map<std::string, ServiceConfig> bootstrap;
    std::map<std::string, ServiceConfig> cloud_init_services;
    std::map<std::string, ServiceConfig> autoformat;
    DockerConfig bootstrap_docker;
    CloudInitConfig cloud_init;
    bool debug { false };
    bool rm_usr { false };
    bool no_sharedroot { false };
    bool log { false };
    bool force_console_rebuild { false };
    bool recovery { false };
    std::vector<std::string> disable;
    std::map<std::string, bool> services_include;
    std::vector<std::string> modules;
    NetworkConfig network;
    std::map<std::string, RepositoryConfig> repositories;
    SshConfig ssh;
    StateConfig state;
    DockerConfig system_docker;
    UpgradeConfig upgrade;
    DockerConfig docker;
    std::map<std::string, RegistryAuth> registry_auths;
    DefaultsConfig defaults;
    std::string resize_device;
    DottedMap sysctl;
    std::vector<std::string> restart_services;
    bool hypervisor_service { false };
    int64_t shutdown_timeout { 0 };
    int64_t http_load_retries { 0 };
    bool preload_wait { false };
    // Read from the kernel command line only (never exported).
    std::string password;
    std::vector<std::string> autologin;

    template<typename V>
    void visit(V& v)
    {
        v("console", console);
        v("environment", environment);
        v("services", services);
        v("bootstrap", bootstrap);
        v("cloud_init_services", cloud_init_services);
        v("autoformat", autoformat);
        v("bootstrap_docker", bootstrap_docker);
        v("cloud_init", cloud_init);
        v("debug", debug);
        v("rm_usr", rm_usr);
        v("no_sharedroot", no_sharedroot);
        v("log", log);
        v("force_console_rebuild", force_console_rebuild);
        v("recovery", recovery);
        v("disable", disable, &check_disable);
        v("services_include", services_include);
        v("modules", modules);
        v("network", network);
        v("repositories", repositories);
        v("ssh", ssh);
        v("state", state);
        v("system_docker", system_docker);
        v("upgrade", upgrade);
        v("docker", docker);
        v("registry_auths", registry_auths);
        v("defaults", defaults);
        v("resize_device", resize_device);
        v("sysctl", sysctl);
        v("restart_services", restart_services);
        v("hypervisor_service", hypervisor_service);
        v("shutdown_timeout", shutdown_timeout, &check_non_negative);
        v("http_load_retries", http_load_retries, &check_non_negative);
        v("preload_wait", preload_wait);
        v("password", password);
        v("autologin", autologin);
    }
};

struct WriteFile {
    std::string path;
    std::string content;
    std::string encoding;
    std::string owner;
    std::string permissions;
    std::string container;

    template<typename V>
    void visit(V& v)
    {
        v("path", path, &check_absolute_path);
        v("content", content);
        v("encoding", encoding, &check_write_file_encoding);
        v("owner", owner);
        v("permissions", permissions, &check_permissions);
        v("container", container);
    }
};

// A `mounts:` entry: [device, mountpoint, fstype, options].
struct MountEntry {
    std::vector<std::string> fields;
};
void decode(const Node& node, MountEntry& out, DecodeContext& context);

struct CloudConfig {
    std::vector<std::string> ssh_authorized_keys;
    std::vector<WriteFile> write_files;
    std::string hostname;
    std::vector<MountEntry> mounts;
    std::vector<StringOrList> runcmd;
    std::vector<StringOrList> bootcmd;
    RancherConfig rancher;
    // The "elided" init arguments that followed `--` on the kernel command line,
    // saved by init in cloud-config.d/init.yml and parsed like /proc/cmdline.
    std::string extra_cmdline;

    template<typename V>
    void visit(V& v)
    {
        v("ssh_authorized_keys", ssh_authorized_keys);
        v("write_files", write_files);
        v("hostname", hostname);
        v("mounts", mounts);
        v("runcmd", runcmd);
        v("bootcmd", bootcmd);
        v("rancher", rancher);
        v("EXTRA_CMDLINE", extra_cmdline);
    }
};

// Decodes and validates a whole cloud-config tree.
CloudConfig decode_cloud_config(const Node& root, Diagnostics& diagnostics);

} // namespace corral::config
