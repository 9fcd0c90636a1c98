#include "image/reference.h"

#include "base/strings.h"

#include <cctype>

namespace corral::image {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A path component: [a-z0-9]+ joined by ".", "_", "__" or runs of "-".
bool valid_component(std::string_view c)
{
    if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back()))
        return false;
    for (size_t i = 0; i < c.size(); ++i) {
        char ch = c[i];
        if (is_lower_alnum(ch))
            continue;
        if (ch == '.' || ch == '_') {
            // "." and "_" stand alone; "__" is allowed; nothing else may be adjacent.
            bool double_underscore = ch == '_' && i + 1 < c.size() && c[i + 1] == '_';
            if (double_underscore)
                ++i;
            if (i + 1 >= c.size() || !is_lower_alnum(c[i + 1]))
                return false;
            continue;
        }
        if (ch == '-') {
            while (i + 1 < c.size() && c[i + 1] == '-')
                ++i;
            if (i + 1 >= c.size() || !is_lower_alnum(c[i + 1]))
                return false;
            continue;
        }
        return false;
    }
    return true;
}

bool valid_domain(std::string_view d)
{
    if (d.empty())
        return false;
    std::string_view host = d;
    if (auto colon = d.rfind(':'); colon != std::string_view::npos && d.front() != '[') {
        std::string_view port = d.substr(colon + 1);
        if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos)
            return false;
        host = d.substr(0, colon);
    }
    if (host.empty())
        return false;
    if (host.front() == '[')
        return host.back() == ']' || host.find("]:") != std::string_view::npos;
    for (char c : host) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-')
            return false;
    }
    return true;
}

bool valid_tag(std::string_view t)
{
    if (t.empty() || t.size() > 128)
        return false;
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    if (!word(t.front()))
        return false;
    for (char c : t) {
        if (!word(c) && c != '.' && c != '-')
            return false;
    }
    return true;
}

Error invalid(std::string_view text, const std::string& why)
{
    return Error::from_string("invalid reference \"" + std::string(text) + "\": " + why);
}

} // namespace

ErrorOr<Reference> Reference::parse(std::string_view text)
{
    if (text.empty())
        return invalid(text, "empty");
    if (text.size() > 4096)
        return invalid(text.substr(0, 64), "longer than 4096 characters");
    Reference ref;
    std::string_view rest = text;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        auto digest = Digest::parse(rest.substr(at + 1));
        if (digest.is_error())
            return invalid(text, digest.error().message());
        ref.digest = digest.release_value();
        rest = rest.substr(0, at);
    }
    // A tag follows the last ':' that comes after the last '/', so a registry port
    // ("localhost:5000/x") is not mistaken for one.
    auto last_slash = rest.rfind('/');
    auto last_colon = rest.rfind(':');
    if (last_colon != std::string_view::npos && (last_slash == std::string_view::npos || last_colon > last_slash)) {
        ref.tag = std::string(rest.substr(last_colon + 1));
        rest = rest.substr(0, last_colon);
        if (!valid_tag(ref.tag))
            return invalid(text, "invalid tag \"" + ref.tag + "\"");
    }
    std::string_view name = rest;
    std::string_view domain;
    if (auto slash = name.find('/'); slash != std::string_view::npos) {
        std::string_view first = name.substr(0, slash);
        if (first.find_first_of(".:") != std::string_view::npos || first == "localhost"
            || first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos) {
            domain = first;
            name = name.substr(slash + 1);
        }
    }
    if (domain.empty() || domain == "index.docker.io")
        domain = DEFAULT_DOMAIN;
    if (!valid_domain(domain))
        return invalid(text, "invalid registry \"" + std::string(domain) + "\"");
    if (name.empty())
        return invalid(text, "no repository name");
    for (char c : name) {
        if (c >= 'A' && c <= 'Z')
            return invalid(text, "repository name must be lowercase");
    }
    for (auto const& component : split(name, '/')) {
        if (!valid_component(component))
            return invalid(text, "invalid repository name component \"" + component + "\"");
    }
    ref.domain = std::string(domain);
    ref.path = std::string(name);
    if (ref.domain == DEFAULT_DOMAIN && ref.path.find('/') == std::string::npos)
        ref.path = "library/" + ref.path;
    if (ref.name().size() > 255)
        return invalid(text, "repository name longer than 255 characters");
    if (ref.tag.empty() && !ref.digest)
        ref.tag = "latest";
    return ref;
}

std::string Reference::str() const
{
    std::string out = name();
    if (!tag.empty())
        out += ":" + tag;
    if (digest)
        out += "@" + digest->str();
    return out;
}

std::string Reference::familiar_name() const
{
    if (domain != DEFAULT_DOMAIN)
        return name();
    if (path.starts_with("library/") && path.find('/', 8) == std::string::npos)
        return path.substr(8);
    return path;
}

std::string Reference::familiar() const
{
    std::string out = familiar_name();
    if (!tag.empty())
        out += ":" + tag;
    if (digest)
        out += "@" + digest->str();
    return out;
}

} // namespace corral::image
