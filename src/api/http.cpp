#include "api/http.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace corral::api {

std::optional<std::string> Request::param(const std::string& name) const
{
    auto it = query.find(name);
    if (it == query.end())
        return std::nullopt;
    return it->second;
}

bool Request::flag(const std::string& name) const
{
    auto value = param(name);
    if (!value)
        return false;
    std::string v = *value;
    for (auto& c : v)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return !(v.empty() || v == "0" || v == "no" || v == "false" || v == "none");
}

ErrorOr<int64_t> Request::integer(const std::string& name, int64_t fallback) const
{
    auto value = param(name);
    if (!value || value->empty())
        return fallback;
    char* end = nullptr;
    errno = 0;
    long long parsed = std::strtoll(value->c_str(), &end, 10);
    if (errno || !end || *end)
        return Error::from_string("invalid value for " + name + ": " + *value, EINVAL);
    return static_cast<int64_t>(parsed);
}

bool Request::version_at_least(std::string_view version) const
{
    auto parts = [](std::string_view v) {
        int major = std::atoi(std::string(v.substr(0, v.find('.'))).c_str());
        int minor = v.find('.') == std::string_view::npos ? 0 : std::atoi(std::string(v.substr(v.find('.') + 1)).c_str());
        return std::pair { major, minor };
    };
    return parts(api_version) >= parts(version);
}

Response json_response(int status, const std::string& json)
{
    Response response;
    response.status = status;
    response.body = json;
    response.body += '\n'; // as Go's json.Encoder
    return response;
}

Response error_response(int status, std::string_view message)
{
    // Messages quote what clients sent, which need not be UTF-8: replaced,
    // not thrown over.
    return json_response(status,
        nlohmann::json { { "message", std::string(message) } }.dump(-1, ' ', false,
            nlohmann::json::error_handler_t::replace));
}

int status_for(const Error& error)
{
    switch (error.code()) {
    case ENOENT:
        return 404;
    case EEXIST:
    case EBUSY:
    case EALREADY:
        return 409;
    case EINVAL:
    case ERANGE:
    case ENAMETOOLONG:
        return 400;
    case EACCES:
    case EPERM:
        return 403;
    case ENOTSUP:
        return 501;
    default:
        return 500;
    }
}

} // namespace corral::api
