// system-dockerd: the system engine behind the Docker Engine API, with
// dockerd's flags (reference/rancheros.md §3.5).

#include "api/daemon.h"

#include "api/events.h"
#include "api/router.h"
#include "api/server.h"
#include "base/file.h"
#include "base/log.h"
#include "base/system.h"
#include "engine/engine.h"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <pthread.h>
#include <sys/file.h>
#include <chrono>
#include <thread>
#include <unistd.h>

#ifndef CORRAL_VERSION
#define CORRAL_VERSION "dev"
#endif

namespace corral::api {

namespace {

// daemon.json's keys that are lists, as --flag values.
void merge_list(const nlohmann::json& json, const char* key, std::vector<std::string>& out, bool flag_given)
{
    if (flag_given || !json.contains(key) || !json[key].is_array())
        return;
    for (auto const& v : json[key])
        if (v.is_string())
            out.push_back(v.get<std::string>());
}

void merge_string(const nlohmann::json& json, const char* key, std::string& out, bool flag_given)
{
    if (!flag_given && json.contains(key) && json[key].is_string())
        out = json[key].get<std::string>();
}

ErrorOr<nlohmann::json> read_config_file(const std::string& path)
{
    std::string text = TRY(read_file(path, 1024 * 1024));
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        return Error::from_string(path + ": not a JSON object", EINVAL);
    static const std::set<std::string> known { "data-root", "exec-root", "hosts", "group", "log-level", "debug",
        "log-driver", "log-opts", "registry-mirrors", "insecure-registries", "live-restore", "pidfile", "graph",
        "storage-driver", "selinux-enabled", "userland-proxy", "bridge", "bip", "iptables", "ip-masq", "ipv6",
        "default-ulimits", "cgroup-parent", "tls", "tlsverify", "tlscacert", "tlscert", "tlskey" };
    for (auto const& [key, value] : json.items()) {
        if (!known.contains(key))
            return Error::from_string(
                "the following directives don't match any configuration option: " + key, EINVAL);
    }
    return json;
}

} // namespace

ErrorOr<DaemonOptions> parse_daemon_options(int argc, char** argv)
{
    DaemonOptions o;
    CLI::App app { "system-dockerd: the CorralOS system container engine", "system-dockerd" };
    app.allow_windows_style_options(false);
    std::vector<std::string> log_opts;
    std::string log_level;
    app.add_option("-H,--host", o.hosts, "Daemon socket(s) to listen on (unix://PATH, tcp://HOST:PORT with --tlsverify)");
    app.add_option("--data-root,-g,--graph", o.data_root, "Root directory of persistent state");
    app.add_option("--exec-root", o.exec_root, "Root directory of execution state");
    app.add_option("-p,--pidfile", o.pidfile, "Path to the daemon's PID file");
    app.add_option("--config-file", o.config_file, "Daemon configuration file (JSON)");
    app.add_option("-G,--group", o.group, "Group for the Unix socket");
    app.add_option("-l,--log-level", log_level, "Log level (debug, info, warn, error, fatal)");
    app.add_flag("-D,--debug", o.debug, "Debug mode");
    app.add_option("--log-driver", o.log_driver, "Default log driver for containers (json-file, none)");
    app.add_option("--log-opt", log_opts, "Default log driver options (key=value)");
    app.add_option("--registry-mirror", o.registry_mirrors, "Preferred registry mirror");
    app.add_option("--insecure-registry", o.insecure_registries, "Insecure registries");
    app.add_option("--live-restore", o.live_restore, "Keep containers running while the daemon is down (always on)")
        ->default_str("true");
    app.add_option("--cgroup-parent", o.cgroup_parent, "Parent cgroup for containers");
    app.add_flag("--tls", o.tls, "Use TLS (needs --tlsverify: only mutual TLS is served)");
    app.add_flag("--tlsverify", o.tls_verify, "Use TLS and require client certificates signed by --tlscacert");
    app.add_option("--tlscacert", o.tls_ca_cert, "Trust only client certificates signed by this CA");
    app.add_option("--tlscert", o.tls_cert, "Path to the TLS certificate file");
    app.add_option("--tlskey", o.tls_key, "Path to the TLS key file");
    // Flags that RancherOS passes to its system-docker and that mean nothing here.
    std::string ignored;
    bool ignored_flag = false;
    app.add_option("--storage-driver,-s", ignored, "Accepted: the storage driver is always overlay2");
    app.add_option("--bridge,-b", ignored, "Accepted: no bridge network");
    app.add_option("--iptables", ignored, "Accepted: no iptables rules are made");
    app.add_option("--bip", ignored, "Accepted: no bridge network (RancherOS's system_docker.bip)");
    app.add_option("--ip-masq", ignored, "Accepted: no bridge network");
    app.add_flag("--selinux-enabled", ignored_flag, "Accepted");
    app.add_option("--userland-proxy", ignored, "Accepted");
    app.add_option("--restart", ignored, "Accepted");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::fputs(app.help().c_str(), stdout);
        return Error::from_string("help", 0);
    } catch (const CLI::ParseError& e) {
        return Error::from_string(e.what(), EINVAL);
    }
    if (!o.config_file.empty()) {
        auto json = TRY(read_config_file(o.config_file));
        auto given = [&](const char* flag) { return app.count(flag) > 0; };
        merge_list(json, "hosts", o.hosts, given("--host"));
        merge_string(json, "data-root", o.data_root, given("--data-root"));
        merge_string(json, "exec-root", o.exec_root, given("--exec-root"));
        merge_string(json, "pidfile", o.pidfile, given("--pidfile"));
        merge_string(json, "group", o.group, given("--group"));
        merge_string(json, "log-level", log_level, given("--log-level"));
        merge_string(json, "log-driver", o.log_driver, given("--log-driver"));
        merge_string(json, "cgroup-parent", o.cgroup_parent, given("--cgroup-parent"));
        merge_list(json, "registry-mirrors", o.registry_mirrors, given("--registry-mirror"));
        merge_list(json, "insecure-registries", o.insecure_registries, given("--insecure-registry"));
        merge_string(json, "tlscacert", o.tls_ca_cert, given("--tlscacert"));
        merge_string(json, "tlscert", o.tls_cert, given("--tlscert"));
        merge_string(json, "tlskey", o.tls_key, given("--tlskey"));
        if (!given("--tls") && json.contains("tls") && json["tls"].is_boolean())
            o.tls = json["tls"].get<bool>();
        if (!given("--tlsverify") && json.contains("tlsverify") && json["tlsverify"].is_boolean())
            o.tls_verify = json["tlsverify"].get<bool>();
        if (!given("--debug") && json.contains("debug") && json["debug"].is_boolean())
            o.debug = json["debug"].get<bool>();
        if (!given("--log-opt") && json.contains("log-opts") && json["log-opts"].is_object()) {
            for (auto const& [k, v] : json["log-opts"].items())
                if (v.is_string())
                    o.log_options[k] = v.get<std::string>();
        }
    }
    for (auto const& opt : log_opts) {
        auto eq = opt.find('=');
        if (eq == std::string::npos)
            return Error::from_string("invalid --log-opt " + opt + ": expected key=value", EINVAL);
        o.log_options[opt.substr(0, eq)] = opt.substr(eq + 1);
    }
    if (!log_level.empty())
        o.log_level = TRY(parse_log_level(log_level));
    if (o.debug)
        o.log_level = LogLevel::Debug;
    if (o.hosts.empty())
        o.hosts.push_back("unix:///var/run/system-docker.sock");
    // Where dockerd looks for its certificates when no flag names them.
    std::string cert_dir;
    if (char const* env = std::getenv("DOCKER_CERT_PATH"); env && *env)
        cert_dir = env;
    else
        cert_dir = path_join(std::getenv("HOME") ? std::getenv("HOME") : "/root", ".docker");
    if (o.tls_ca_cert.empty())
        o.tls_ca_cert = path_join(cert_dir, "ca.pem");
    if (o.tls_cert.empty())
        o.tls_cert = path_join(cert_dir, "cert.pem");
    if (o.tls_key.empty())
        o.tls_key = path_join(cert_dir, "key.pem");
    if (o.tls_verify)
        o.tls = true;
    if (o.tls && !o.tls_verify)
        return Error::from_string("--tls without --tlsverify is refused: a TCP listener must check client "
                                  "certificates (give --tlsverify and --tlscacert)",
            EINVAL);
    if (o.log_driver != "json-file" && o.log_driver != "none")
        return Error::from_string("log driver " + o.log_driver + " is not supported (json-file, none)", EINVAL);
    if (o.log_driver == "json-file")
        TRY(runtime::parse_log_options(o.log_options));
    return o;
}

namespace {

// An exclusive lock on the data root: a second daemon on it is refused.
ErrorOr<Fd> lock_data_root(const std::string& data_root)
{
    TRY(mkdir_p(data_root, 0711));
    std::string path = path_join(data_root, "system-dockerd.lock");
    Fd fd = TRY(sys::open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            return Error::from_string("another system-dockerd is using " + data_root, EBUSY);
        return Error::from_syscall("flock '" + path + "'");
    }
    return fd;
}

Event to_api_event(const engine::EngineEvent& e)
{
    Event event;
    event.type = e.type;
    event.action = e.action;
    event.id = e.id;
    event.attributes = e.attributes;
    event.time_nano = e.time_nano;
    return event;
}

} // namespace

int run_daemon(const DaemonOptions& options)
{
    log::set_program("system-dockerd");
    log::set_level(options.log_level);
    auto lock = lock_data_root(options.data_root);
    if (lock.is_error()) {
        log::error(lock.error().message());
        return 1;
    }
    // Signals are taken by one thread (sigwait), never by the others.
    sigset_t signals;
    sigemptyset(&signals);
    for (int sig : { SIGTERM, SIGINT, SIGHUP, SIGQUIT })
        sigaddset(&signals, sig);
    ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    engine::EngineOptions engine_options;
    engine_options.data_root = options.data_root;
    engine_options.exec_root = options.exec_root;
    engine_options.log_driver = options.log_driver;
    engine_options.log_options = options.log_options;
    if (!options.cgroup_parent.empty())
        engine_options.cgroup_parent = options.cgroup_parent;
    auto engine = engine::Engine::open(engine_options);
    if (engine.is_error()) {
        log::error("starting the engine: " + engine.error().message());
        return 1;
    }
    EventBus events;
    (*engine)->set_event_sink([&events](const engine::EngineEvent& e) { events.publish(to_api_event(e)); });

    DaemonInfo info;
    info.product_version = CORRAL_VERSION;
    info.data_root = options.data_root;
    info.exec_root = options.exec_root;
    info.logging_driver = options.log_driver;
    info.debug = options.debug;
    info.registry_mirrors = options.registry_mirrors;
    info.insecure_registries = options.insecure_registries;
    {
        // A daemon ID that stays with the data root, as dockerd's.
        std::string id_path = path_join(options.data_root, "engine-id");
        auto id = read_file(id_path);
        if (id.is_error()) {
            std::string fresh = random_suffix() + random_suffix() + random_suffix();
            (void)write_file_atomic(id_path, fresh, 0600);
            info.id = fresh;
        } else {
            info.id = *id;
        }
    }
    auto router = make_router(**engine, events, info);

    ServerOptions server_options;
    server_options.hosts = options.hosts;
    server_options.group = options.group;
    if (options.tls_verify)
        server_options.tls = TlsFiles { options.tls_ca_cert, options.tls_cert, options.tls_key };
    auto server = Server::listen(server_options, router->http_handler());
    if (server.is_error()) {
        log::error(server.error().message());
        return 1;
    }
    if (!options.pidfile.empty()) {
        auto written = write_file_atomic(options.pidfile, std::to_string(::getpid()) + "\n", 0644);
        if (written.is_error()) {
            log::error(written.error().message());
            return 1;
        }
    }
    auto now_nano = [] {
        struct timespec now {};
        ::clock_gettime(CLOCK_REALTIME, &now);
        return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
    };
    events.publish(Event { "daemon", "start", info.id, { { "name", "system-dockerd" } }, now_nano() });
    log::info("API listening on " + options.hosts.front());

    std::thread signal_thread([&] {
        while (true) {
            int sig = 0;
            if (::sigwait(&signals, &sig) != 0)
                continue;
            if (sig == SIGHUP) {
                // dockerd reloads its configuration file: here the log level.
                if (!options.config_file.empty()) {
                    auto json = read_config_file(options.config_file);
                    if (json.is_error()) {
                        log::error("reload: " + json.error().message());
                    } else if (json->contains("log-level") && (*json)["log-level"].is_string()) {
                        if (auto level = parse_log_level((*json)["log-level"].get<std::string>()))
                            log::set_level(*level);
                    }
                    log::info("configuration reloaded");
                }
                events.publish(Event { "daemon", "reload", info.id, { { "name", "system-dockerd" } }, now_nano() });
                continue;
            }
            log::info(std::string("received ") + ::strsignal(sig) + ", shutting down; containers keep running");
            (*server)->stop();
            return;
        }
    });
    (*server)->serve();
    signal_thread.join();
    // Wake every request still waiting (docker run's wait, an event stream)
    // so that its client hears the end, give them a moment to answer, then
    // go. The engine is not destroyed under them: the process just exits,
    // and the containers, under their supervisors, keep running.
    (*engine)->shutdown();
    events.shutdown();
    for (int i = 0; i < 20 && (*server)->active_connections() > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!options.pidfile.empty())
        ::unlink(options.pidfile.c_str());
    for (auto const& host : options.hosts) {
        if (host.starts_with("unix://"))
            ::unlink(host.substr(7).c_str());
    }
    log::info("stopped");
    ::_exit(0);
}

int system_dockerd_main(int argc, char** argv)
{
    auto options = parse_daemon_options(argc, argv);
    if (options.is_error()) {
        if (options.error().code() == 0)
            return 0; // --help
        std::fprintf(stderr, "system-dockerd: %s\n", options.error().message().c_str());
        return 1;
    }
    return run_daemon(*options);
}

} // namespace corral::api
