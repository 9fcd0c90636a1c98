#pragma once

// Docker's restart manager: whether an exited container starts again, and
// after how long. The delay starts at 100 ms and doubles with each restart up
// to a minute; a run of ten seconds or more starts the count of delay afresh.
// A manual stop cancels any restart until the next start.

#include "runtime/container_config.h"

#include <chrono>
#include <optional>

namespace corral::engine {

class RestartManager {
public:
    using Duration = std::chrono::milliseconds;

    explicit RestartManager(runtime::RestartPolicy policy = {}, int restart_count = 0)
        : m_policy(std::move(policy))
        , m_restart_count(restart_count)
    {
    }

    // The delay before the next start, or nullopt for none. `ran_for` is how
    // long the exited run lasted. Counts the restart when there is one.
    std::optional<Duration> should_restart(int exit_code, bool manually_stopped, Duration ran_for);

    // Docker's decision when the daemon starts: whether a container that is
    // not running should be started.
    static bool restart_on_daemon_start(const runtime::RestartPolicy& policy, bool manually_stopped, int exit_code);

    int restart_count() const { return m_restart_count; }
    void set_policy(runtime::RestartPolicy policy) { m_policy = std::move(policy); }
    // A new start by the user: the back-off starts over.
    void reset() { m_delay = Duration(0); }

private:
    runtime::RestartPolicy m_policy;
    int m_restart_count { 0 };
    Duration m_delay { 0 };
};

} // namespace corral::engine
