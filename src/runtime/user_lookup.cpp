#include "runtime/user_lookup.h"

#include "base/strings.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace corral::runtime {

namespace {

constexpr int64_t MAX_ID = 2147483647;

struct PasswdEntry {
    std::string name;
    int64_t uid { 0 };
    int64_t gid { 0 };
    std::string home;
};

struct GroupEntry {
    std::string name;
    int64_t gid { 0 };
    std::vector<std::string> members;
};

Error range_error()
{
    return Error::from_string("uids and gids must be in range 0-" + std::to_string(MAX_ID));
}

// Go's strconv.Atoi: an optional sign, then digits. Malformed numbers in the
// files read as 0, as in moby/sys/user.
std::optional<int64_t> parse_int(std::string_view text)
{
    if (!text.empty() && text.front() == '+')
        text.remove_prefix(1);
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || end != text.data() + text.size())
        return std::nullopt;
    if (ec == std::errc::result_out_of_range)
        return MAX_ID + 1;
    if (ec != std::errc())
        return std::nullopt;
    return value;
}

// A user or group argument: numeric (an id, range-checked) or a name.
struct IdArgument {
    std::string text;
    bool numeric { false };
    int64_t id { 0 };
};

ErrorOr<IdArgument> parse_argument(std::string_view text)
{
    IdArgument arg { std::string(text) };
    if (auto id = parse_int(text)) {
        if (*id < 0 || *id > MAX_ID)
            return range_error();
        arg.numeric = true;
        arg.id = *id;
    }
    return arg;
}

std::string field(const std::vector<std::string>& fields, size_t index)
{
    return index < fields.size() ? fields[index] : std::string();
}

std::vector<PasswdEntry> parse_passwd(std::string_view text)
{
    std::vector<PasswdEntry> out;
    for (auto const& raw : split(text, '\n')) {
        std::string_view line = trim(raw);
        if (line.empty())
            continue;
        auto fields = split(line, ':'); // name:password:uid:gid:gecos:home:shell
        out.push_back({ field(fields, 0), parse_int(field(fields, 2)).value_or(0),
            parse_int(field(fields, 3)).value_or(0), field(fields, 5) });
    }
    return out;
}

std::vector<GroupEntry> parse_group(std::string_view text)
{
    std::vector<GroupEntry> out;
    for (auto const& raw : split(text, '\n')) {
        std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#')
            continue;
        auto fields = split(line, ':'); // name:password:gid:members
        GroupEntry entry { field(fields, 0), parse_int(field(fields, 2)).value_or(0), {} };
        if (std::string members = field(fields, 3); !members.empty())
            entry.members = split(members, ',');
        out.push_back(std::move(entry));
    }
    return out;
}

} // namespace

ErrorOr<ExecUser> resolve_user(std::string_view spec, std::string_view passwd_text, std::string_view group_text)
{
    auto colon = spec.find(':');
    auto user_arg = TRY(parse_argument(spec.substr(0, colon)));
    // Like moby/sys/user: only the first two fields count ("a:b:c" is "a:b").
    std::string_view group_part = colon == std::string_view::npos ? std::string_view {} : spec.substr(colon + 1);
    group_part = group_part.substr(0, group_part.find(':'));
    bool has_group = !group_part.empty();
    auto group_arg = TRY(parse_argument(group_part));

    ExecUser user;
    std::string matched_name;
    auto passwd = parse_passwd(passwd_text);
    auto entry = std::find_if(passwd.begin(), passwd.end(), [&](const PasswdEntry& e) {
        if (user_arg.text.empty())
            return e.uid == 0;
        if (user_arg.numeric)
            return e.uid == user_arg.id;
        return e.name == user_arg.text;
    });
    if (entry != passwd.end()) {
        matched_name = entry->name;
        user.uid = static_cast<uid_t>(entry->uid);
        user.gid = static_cast<gid_t>(entry->gid);
        user.home = entry->home;
    } else if (!user_arg.text.empty()) {
        if (!user_arg.numeric)
            return Error::from_string("unable to find user " + user_arg.text + ": no matching entries in passwd file");
        user.uid = static_cast<uid_t>(user_arg.id);
    }

    if (!has_group && matched_name.empty())
        return user;
    auto groups = parse_group(group_text);
    if (has_group) {
        auto found = std::find_if(groups.begin(), groups.end(),
            [&](const GroupEntry& g) { return group_arg.numeric ? g.gid == group_arg.id : g.name == group_arg.text; });
        if (found != groups.end())
            user.gid = static_cast<gid_t>(found->gid);
        else if (group_arg.numeric)
            user.gid = static_cast<gid_t>(group_arg.id);
        else
            return Error::from_string("unable to find group " + group_arg.text + ": no matching entries in group file");
        return user;
    }
    for (auto const& g : groups) {
        if (std::find(g.members.begin(), g.members.end(), matched_name) != g.members.end())
            user.supplementary_gids.push_back(static_cast<gid_t>(g.gid));
    }
    return user;
}

ErrorOr<std::vector<gid_t>> resolve_additional_groups(
    const std::vector<std::string>& names, std::string_view group_text)
{
    auto groups = parse_group(group_text);
    std::vector<gid_t> out;
    for (auto const& name : names) {
        auto arg = TRY(parse_argument(name));
        auto found = std::find_if(groups.begin(), groups.end(),
            [&](const GroupEntry& g) { return arg.numeric ? g.gid == arg.id : g.name == arg.text; });
        int64_t gid = 0;
        if (found != groups.end()) {
            if (found->gid < 0 || found->gid > MAX_ID)
                return range_error();
            gid = found->gid;
        } else if (arg.numeric) {
            gid = arg.id;
        } else {
            return Error::from_string("unable to find group " + name + ": no matching entries in group file");
        }
        // Docker collects these in a map (random order); request order is kept here.
        if (std::find(out.begin(), out.end(), static_cast<gid_t>(gid)) == out.end())
            out.push_back(static_cast<gid_t>(gid));
    }
    return out;
}

} // namespace corral::runtime
