#include "cloudinit/accounts.h"

#include "base/file.h"
#include "base/strings.h"

#include <charconv>

namespace corral::cloudinit {

namespace {

std::optional<uint32_t> parse_id(std::string_view text)
{
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::vector<std::string> lines_of(std::string_view text)
{
    std::vector<std::string> out;
    for (auto& line : split(text, '\n')) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty() || line[0] == '#')
            continue;
        out.push_back(std::move(line));
    }
    return out;
}

ErrorOr<std::string> read_optional(const std::string& path)
{
    auto text = read_file(path, 16 * 1024 * 1024);
    if (text.is_error() && text.error().code() == ENOENT)
        return std::string();
    return text;
}

} // namespace

std::vector<PasswdEntry> parse_passwd(std::string_view text)
{
    std::vector<PasswdEntry> out;
    for (auto const& line : lines_of(text)) {
        auto fields = split(line, ':');
        if (fields.size() < 7 || fields[0].empty())
            continue;
        auto uid = parse_id(fields[2]);
        auto gid = parse_id(fields[3]);
        if (!uid || !gid)
            continue;
        out.push_back(PasswdEntry { fields[0], *uid, *gid, fields[5], fields[6] });
    }
    return out;
}

std::vector<GroupEntry> parse_group(std::string_view text)
{
    std::vector<GroupEntry> out;
    for (auto const& line : lines_of(text)) {
        auto fields = split(line, ':');
        if (fields.size() < 4 || fields[0].empty())
            continue;
        auto gid = parse_id(fields[2]);
        if (!gid)
            continue;
        GroupEntry entry { fields[0], *gid, {} };
        if (!fields[3].empty())
            entry.members = split(fields[3], ',');
        out.push_back(std::move(entry));
    }
    return out;
}

ErrorOr<Accounts> Accounts::load(const config::Paths& paths)
{
    std::string passwd = TRY(read_optional(paths.under_root("/etc/passwd")));
    std::string group = TRY(read_optional(paths.under_root("/etc/group")));
    return Accounts(parse_passwd(passwd), parse_group(group));
}

const PasswdEntry* Accounts::user(std::string_view name) const
{
    for (auto const& entry : m_users) {
        if (entry.name == name)
            return &entry;
    }
    return nullptr;
}

const PasswdEntry* Accounts::user(uid_t uid) const
{
    for (auto const& entry : m_users) {
        if (entry.uid == uid)
            return &entry;
    }
    return nullptr;
}

const GroupEntry* Accounts::group(std::string_view name) const
{
    for (auto const& entry : m_groups) {
        if (entry.name == name)
            return &entry;
    }
    return nullptr;
}

ErrorOr<Owner> resolve_owner(std::string_view owner, const Accounts& accounts)
{
    owner = trim(owner);
    if (owner.empty())
        return Owner {};
    size_t separator = owner.find(':');
    std::string_view user_part = owner.substr(0, separator);
    std::optional<std::string_view> group_part;
    if (separator != std::string_view::npos)
        group_part = owner.substr(separator + 1);

    Owner out;
    std::optional<gid_t> user_gid;
    if (!user_part.empty()) {
        if (auto id = parse_id(user_part)) {
            out.uid = *id;
            if (auto const* entry = accounts.user(out.uid))
                user_gid = entry->gid;
        } else if (auto const* entry = accounts.user(user_part)) {
            out.uid = entry->uid;
            user_gid = entry->gid;
        } else {
            return Error::from_string(
                "owner \"" + std::string(owner) + "\": no user \"" + std::string(user_part) + "\" in /etc/passwd",
                ENOENT);
        }
    }
    if (group_part && !group_part->empty()) {
        if (auto id = parse_id(*group_part)) {
            out.gid = *id;
        } else if (auto const* entry = accounts.group(*group_part)) {
            out.gid = entry->gid;
        } else {
            return Error::from_string(
                "owner \"" + std::string(owner) + "\": no group \"" + std::string(*group_part) + "\" in /etc/group",
                ENOENT);
        }
    } else if (user_gid) {
        out.gid = *user_gid;
    }
    return out;
}

} // namespace corral::cloudinit
