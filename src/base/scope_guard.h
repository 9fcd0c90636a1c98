#pragma once

// Runs a callable when the scope ends, unless disarm() was called: the way to undo a
// half-done operation on every early return.

#include <utility>

namespace corral {

template<typename Callback>
class [[nodiscard]] ScopeGuard {
public:
    explicit ScopeGuard(Callback callback)
        : m_callback(std::move(callback))
    {
    }
    ~ScopeGuard()
    {
        if (m_armed)
            m_callback();
    }
    ScopeGuard(const ScopeGuard&) = delete;
    ScopeGuard& operator=(const ScopeGuard&) = delete;

    void disarm() { m_armed = false; }

private:
    Callback m_callback;
    bool m_armed { true };
};

} // namespace corral
