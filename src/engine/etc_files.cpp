#include "engine/etc_files.h"

#include "base/strings.h"

#include <arpa/inet.h>
#include <optional>

namespace corral::engine {

namespace {

enum class NetworkKind {
    Host,
    None,
    Bridge,
};

NetworkKind kind_of(const EtcInput& input)
{
    if (input.network_mode == "host")
        return NetworkKind::Host;
    if (input.network_mode == "none")
        return NetworkKind::None;
    return NetworkKind::Bridge;
}

bool parses_as(int family, std::string_view text)
{
    unsigned char buffer[sizeof(struct in6_addr)];
    std::string copy(text);
    return ::inet_pton(family, copy.c_str(), buffer) == 1;
}

bool is_ipv4(std::string_view text)
{
    return parses_as(AF_INET, text);
}
bool is_ipv6(std::string_view text)
{
    return parses_as(AF_INET6, text);
}
bool is_ip(std::string_view text)
{
    return is_ipv4(text) || is_ipv6(text);
}

// A nameserver in a host's file may carry an IPv6 zone ("fe80::1%eth0").
std::string_view without_zone(std::string_view address)
{
    return address.substr(0, address.find('%'));
}

bool is_loopback(std::string_view address)
{
    std::string copy(without_zone(address));
    struct in_addr v4 { };
    if (::inet_pton(AF_INET, copy.c_str(), &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    struct in6_addr v6 { };
    return ::inet_pton(AF_INET6, copy.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

bool has_control_character(std::string_view text)
{
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

std::string quoted(std::string_view text)
{
    return "\"" + std::string(text) + "\"";
}

std::vector<std::string_view> fields_of(std::string_view line)
{
    std::vector<std::string_view> fields;
    size_t at = 0;
    while (at < line.size()) {
        size_t start = line.find_first_not_of(" \t\r\v\f", at);
        if (start == std::string_view::npos)
            break;
        size_t end = line.find_first_of(" \t\r\v\f", start);
        if (end == std::string_view::npos)
            end = line.size();
        fields.push_back(line.substr(start, end - start));
        at = end;
    }
    return fields;
}

// The fields of a line with its comment removed. libnetwork cuts at any '#';
// glibc also takes a line starting with ';' as a comment.
std::vector<std::string_view> significant_fields(std::string_view line)
{
    line = line.substr(0, line.find('#'));
    auto fields = fields_of(line);
    if (!fields.empty() && fields[0].starts_with(';'))
        fields.clear();
    return fields;
}

std::optional<std::string_view> nameserver_of(std::string_view line)
{
    auto fields = significant_fields(line);
    if (fields.size() < 2 || fields[0] != "nameserver" || !is_ip(without_zone(fields[1])))
        return std::nullopt;
    return fields[1];
}

// Calls `each` with every line of `text` without its '\n'.
template<typename Callback>
void for_each_line(std::string_view text, Callback each)
{
    while (!text.empty()) {
        size_t end = text.find('\n');
        each(text.substr(0, end));
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
}

std::vector<std::string> host_nameservers(std::string_view resolv_conf)
{
    std::vector<std::string> found;
    for_each_line(resolv_conf, [&](std::string_view line) {
        if (auto address = nameserver_of(line))
            found.emplace_back(*address);
    });
    return found;
}

// The fields of the last `keyword` line: later lines override earlier ones, for
// the resolver and for libnetwork alike.
std::vector<std::string> last_line_fields(std::string_view resolv_conf, std::string_view keyword)
{
    std::vector<std::string> found;
    for_each_line(resolv_conf, [&](std::string_view line) {
        auto fields = significant_fields(line);
        if (fields.empty() || fields[0] != keyword)
            return;
        found.assign(fields.begin() + 1, fields.end());
    });
    return found;
}

// A container on a network of its own cannot reach the host's loopback resolvers
// (systemd-resolved, dnsmasq), nor IPv6 servers when its network has no IPv6.
// Docker keeps IPv6 servers for --network none, where it never learns that the
// network lacks IPv6.
bool usable_in_container(std::string_view address, const EtcInput& input)
{
    if (is_loopback(address))
        return false;
    bool keep_ipv6 = input.ipv6 || kind_of(input) == NetworkKind::None;
    return keep_ipv6 || !is_ipv6(without_zone(address));
}

std::vector<std::string> default_nameservers(const EtcInput& input)
{
    // Google's public DNS, as libnetwork.
    std::vector<std::string> servers { "8.8.8.8", "8.8.4.4" };
    if (input.ipv6 || kind_of(input) == NetworkKind::None) {
        servers.emplace_back("2001:4860:4860::8888");
        servers.emplace_back("2001:4860:4860::8844");
    }
    return servers;
}

ErrorOr<std::string> extra_host_address(const EtcInput& input, std::string_view address)
{
    if (address == "host-gateway") {
        if (input.host_gateway_ip.empty())
            return Error::from_string("unable to derive the IP value for host-gateway");
        return input.host_gateway_ip;
    }
    std::string_view trimmed = trim(address);
    if (!is_ip(trimmed))
        return Error::from_string("invalid IP address in add-host: " + quoted(address));
    return std::string(trimmed);
}

struct HostRecord {
    std::string address;
    std::string names;
};

ErrorOr<std::vector<HostRecord>> extra_host_records(const EtcInput& input)
{
    std::vector<HostRecord> records;
    for (auto const& entry : input.extra_hosts) {
        size_t colon = entry.find(':');
        if (colon == std::string::npos || colon == 0 || has_control_character(entry))
            return Error::from_string("bad format for add-host: " + quoted(entry));
        std::string address = TRY(extra_host_address(input, std::string_view(entry).substr(colon + 1)));
        records.push_back({ std::move(address), entry.substr(0, colon) });
    }
    return records;
}

// Docker's CLI rule (opts.ValidateDNSSearch): "." stands for no search list;
// otherwise labels of letters, digits and inner hyphens, an optional final dot,
// at least one letter, and less than 255 characters.
bool is_valid_search_domain(std::string_view domain)
{
    if (domain == ".")
        return true;
    if (domain.ends_with('.'))
        domain.remove_suffix(1);
    if (domain.empty() || domain.size() >= 255)
        return false;
    bool has_letter = false;
    for (auto const& label : split(domain, '.')) {
        if (label.empty() || label.front() == '-' || label.back() == '-')
            return false;
        for (char c : label) {
            bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            has_letter = has_letter || letter;
            if (!letter && !(c >= '0' && c <= '9') && c != '-')
                return false;
        }
    }
    return has_letter;
}

std::string record_line(std::string_view address, std::string_view names)
{
    return std::string(address) + "\t" + std::string(names) + "\n";
}

} // namespace

ErrorOr<void> validate_etc_input(const EtcInput& input)
{
    TRY(extra_host_records(input));
    for (auto const& server : input.dns) {
        if (!is_ip(trim(server)))
            return Error::from_string("invalid IP address: " + quoted(server));
    }
    for (auto const& domain : input.dns_search) {
        if (!is_valid_search_domain(trim(domain)))
            return Error::from_string(domain + " is not a valid domain");
    }
    for (auto const& option : input.dns_options) {
        if (trim(option).empty() || has_control_character(option))
            return Error::from_string("invalid DNS option: " + quoted(option));
    }
    if (has_control_character(input.hostname) || has_control_character(input.domainname))
        return Error::from_string("invalid hostname or domainname: " + quoted(input.hostname));
    return {};
}

std::string hostname_file(const EtcInput& input)
{
    return input.hostname + "\n";
}

ErrorOr<std::string> hosts_file(const EtcInput& input, std::string_view host_hosts)
{
    TRY(validate_etc_input(input));
    auto extra = TRY(extra_host_records(input));
    NetworkKind kind = kind_of(input);
    if (kind == NetworkKind::Host && extra.empty())
        return std::string(host_hosts);

    // With extra hosts even the host network gets Docker's fresh file rather than
    // the host's: libnetwork only copies the host's file when there is nothing to add.
    std::string out;
    out += record_line("127.0.0.1", "localhost");
    out += record_line("::1", "localhost ip6-localhost ip6-loopback");
    out += record_line("fe00::0", "ip6-localnet");
    out += record_line("ff00::0", "ip6-mcastprefix");
    out += record_line("ff02::1", "ip6-allnodes");
    out += record_line("ff02::2", "ip6-allrouters");
    for (auto const& record : extra)
        out += record_line(record.address, record.names);

    // The container's own record comes last because libnetwork appends it when
    // the container joins its network, after the file was built.
    if (kind != NetworkKind::Host && !input.container_ip.empty()) {
        std::string fqdn = input.hostname;
        if (!input.domainname.empty())
            fqdn += "." + input.domainname;
        std::string names = fqdn;
        if (size_t dot = fqdn.find('.'); dot != std::string::npos)
            names += " " + fqdn.substr(0, dot);
        out += record_line(input.container_ip, names);
    }
    return out;
}

ErrorOr<std::string> resolv_conf_file(const EtcInput& input, std::string_view host_resolv_conf)
{
    TRY(validate_etc_input(input));
    NetworkKind kind = kind_of(input);
    bool overridden = !input.dns.empty() || !input.dns_search.empty() || !input.dns_options.empty();

    if (overridden) {
        // libnetwork writes a new file from the three lists and keeps nothing else
        // of the host's (no comments, no other lines).
        std::vector<std::string> servers;
        for (auto const& server : input.dns)
            servers.emplace_back(trim(server));
        if (servers.empty()) {
            for (auto& server : host_nameservers(host_resolv_conf)) {
                // Unlike libnetwork, which copies loopback servers here too and
                // leaves the container without working DNS.
                if (kind == NetworkKind::Host || usable_in_container(server, input))
                    servers.push_back(std::move(server));
            }
            if (servers.empty() && kind != NetworkKind::Host)
                servers = default_nameservers(input);
        }
        std::vector<std::string> search;
        for (auto const& domain : input.dns_search)
            search.emplace_back(trim(domain));
        if (search.empty())
            search = last_line_fields(host_resolv_conf, "search");
        std::vector<std::string> options;
        for (auto const& option : input.dns_options)
            options.emplace_back(trim(option));
        if (options.empty())
            options = last_line_fields(host_resolv_conf, "options");

        std::string out;
        // "--dns-search ." means no search list at all.
        if (!search.empty() && !(search.size() == 1 && search[0] == "."))
            out += "search " + join(search, " ") + "\n";
        for (auto const& server : servers)
            out += "nameserver " + server + "\n";
        if (!options.empty())
            out += "options " + join(options, " ") + "\n";
        return out;
    }

    if (kind == NetworkKind::Host)
        return std::string(host_resolv_conf);

    std::string out;
    bool left_a_server = false;
    bool after_removed = false;
    for_each_line(host_resolv_conf, [&](std::string_view line) {
        // libnetwork's pattern also swallows the blank lines after a removed line.
        if (after_removed && trim(line).empty())
            return;
        after_removed = false;
        if (auto server = nameserver_of(line)) {
            if (!usable_in_container(*server, input)) {
                after_removed = true;
                return;
            }
            left_a_server = true;
        }
        out += line;
        out += '\n';
    });
    // A host file without a final newline keeps that shape.
    if (!host_resolv_conf.empty() && !host_resolv_conf.ends_with('\n') && !out.empty() && !after_removed)
        out.pop_back();
    if (!left_a_server) {
        // libnetwork joins these with "\n" after an extra "\n" and leaves the file
        // without a final newline; a well-formed file serves the resolver as well.
        if (!out.empty() && !out.ends_with('\n'))
            out += '\n';
        for (auto const& server : default_nameservers(input))
            out += "nameserver " + server + "\n";
    }
    return out;
}

} // namespace corral::engine
