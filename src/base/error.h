#pragma once

// The one error type of CorralOS and the result type that carries it.
//
// An Error holds an errno value, the call that failed (with its arguments, e.g.
// "open '/var/lib/x'") and a chain of context added by callers on the way up. Its
// message reads outermost context first:
//   loading cloud-config.yml: open '/var/lib/rancher/conf/cloud-config.yml': No such file or directory
// Callers test code(); people read message().

#include <cerrno>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace corral {

class Error {
public:
    // An error from a failed system call; `code` is the errno it set.
    static Error from_errno(int code, std::string call);
    // The same, reading errno now. Call it right after the failing call.
    static Error from_syscall(std::string call) { return from_errno(errno, std::move(call)); }
    // An error that is not a system call failure: a parse error, a refused request.
    // The code lets callers classify it (EINVAL for bad input by default).
    static Error from_string(std::string message, int code = EINVAL);

    int code() const { return m_code; }
    // The failed call or, for from_string errors, the message itself.
    const std::string& call() const { return m_call; }
    // The full message: context (outermost first), then the call, then strerror.
    std::string message() const;

    // Adds context that reads before everything said so far. Returns *this so that
    // `return err.context("reading " + path);` works.
    Error& context(std::string what) &;
    Error&& context(std::string what) &&;

private:
    Error(int code, std::string call, bool is_errno)
        : m_code(code)
        , m_call(std::move(call))
        , m_is_errno(is_errno)
    {
    }

    int m_code;
    std::string m_call;
    bool m_is_errno;
    std::vector<std::string> m_context; // innermost first
};

// ErrorOr<T>: a value or an Error. Move-only use is the norm; copying is allowed
// when T is copyable.
template<typename T>
class [[nodiscard]] ErrorOr {
public:
    ErrorOr(T value) // NOLINT(google-explicit-constructor): implicit by design
        : m_storage(std::in_place_index<0>, std::move(value))
    {
    }
    template<typename U>
        requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Error>
            && !std::is_same_v<std::decay_t<U>, ErrorOr<T>> && !std::is_same_v<std::decay_t<U>, T>)
    ErrorOr(U&& value) // NOLINT(google-explicit-constructor)
        : m_storage(std::in_place_index<0>, T(std::forward<U>(value)))
    {
    }
    ErrorOr(Error error) // NOLINT(google-explicit-constructor)
        : m_storage(std::in_place_index<1>, std::move(error))
    {
    }

    bool is_error() const { return m_storage.index() == 1; }
    explicit operator bool() const { return !is_error(); }

    T& value() & { return std::get<0>(m_storage); }
    const T& value() const& { return std::get<0>(m_storage); }
    T release_value() { return std::move(std::get<0>(m_storage)); }
    const Error& error() const { return std::get<1>(m_storage); }
    Error release_error() { return std::move(std::get<1>(m_storage)); }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }

private:
    std::variant<T, Error> m_storage;
};

template<>
class [[nodiscard]] ErrorOr<void> {
public:
    ErrorOr() = default;
    ErrorOr(Error error) // NOLINT(google-explicit-constructor)
        : m_error(std::move(error))
    {
    }

    bool is_error() const { return m_error.has_value(); }
    explicit operator bool() const { return !is_error(); }
    void release_value() { }
    const Error& error() const { return *m_error; }
    Error release_error() { return std::move(*m_error); }

private:
    std::optional<Error> m_error;
};

} // namespace corral

// TRY(expr): evaluates an ErrorOr expression; on error returns the error from the
// enclosing function, otherwise yields the value. A GNU statement expression, as in
// SerenityOS; g++ and clang both accept it.
#define TRY(expression)                                  \
    ({                                                   \
        auto _try_result = (expression);                 \
        if (_try_result.is_error()) [[unlikely]]         \
            return _try_result.release_error();          \
        _try_result.release_value();                     \
    })

// TRY_CONTEXT(expr, context): as TRY, adding context to the error on the way up.
#define TRY_CONTEXT(expression, what)                                      \
    ({                                                                     \
        auto _try_result = (expression);                                   \
        if (_try_result.is_error()) [[unlikely]]                           \
            return std::move(_try_result.release_error().context(what));   \
        _try_result.release_value();                                       \
    })
