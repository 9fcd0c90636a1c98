#include "engine/restart_policy.h"

namespace corral::engine {

namespace {

constexpr RestartManager::Duration INITIAL_DELAY { 100 };
constexpr RestartManager::Duration MAX_DELAY { 60 * 1000 };
constexpr RestartManager::Duration STABLE_RUN { 10 * 1000 };

} // namespace

std::optional<RestartManager::Duration> RestartManager::should_restart(
    int exit_code, bool manually_stopped, Duration ran_for)
{
    if (ran_for >= STABLE_RUN)
        m_delay = Duration(0);
    if (m_delay == Duration(0))
        m_delay = INITIAL_DELAY;
    else if (m_delay < MAX_DELAY)
        m_delay *= 2;
    if (m_delay > MAX_DELAY)
        m_delay = MAX_DELAY;

    if (manually_stopped)
        return std::nullopt;
    bool restart = false;
    auto const& name = m_policy.name;
    if (name == "always" || name == "unless-stopped") {
        restart = true;
    } else if (name == "on-failure") {
        int max = m_policy.maximum_retry_count;
        restart = exit_code != 0 && (max == 0 || m_restart_count < max);
    }
    if (!restart)
        return std::nullopt;
    ++m_restart_count;
    return m_delay;
}

bool RestartManager::restart_on_daemon_start(const runtime::RestartPolicy& policy, bool manually_stopped, int exit_code)
{
    return policy.name == "always" || (policy.name == "unless-stopped" && !manually_stopped)
        || (policy.name == "on-failure" && exit_code != 0);
}

} // namespace corral::engine
