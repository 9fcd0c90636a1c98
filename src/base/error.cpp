#include "base/error.h"

#include <cstring>

namespace corral {

Error Error::from_errno(int code, std::string call)
{
    return Error(code, std::move(call), true);
}

Error Error::from_string(std::string message, int code)
{
    return Error(code, std::move(message), false);
}

std::string Error::message() const
{
    std::string out;
    for (auto it = m_context.rbegin(); it != m_context.rend(); ++it) {
        out += *it;
        out += ": ";
    }
    out += m_call;
    if (m_is_errno) {
        out += ": ";
        out += std::strerror(m_code);
    }
    return out;
}

Error& Error::context(std::string what) &
{
    m_context.push_back(std::move(what));
    return *this;
}

Error&& Error::context(std::string what) &&
{
    m_context.push_back(std::move(what));
    return std::move(*this);
}

} // namespace corral
