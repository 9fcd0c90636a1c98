#pragma once

// Getting the root off the initramfs (reference §1.2 steps 9 and 12).
//
// pivot_root(2), which every container start needs, is refused while the root
// is the initramfs, so init always switches: onto the state disk when there is
// one, onto a fresh tmpfs otherwise (RancherOS instead told Docker to chroot,
// DOCKER_RAMDISK). Either way the initramfs files are deleted afterwards and
// their memory returns to the system.

#include "base/error.h"
#include "config/model.h"

#include <string>

namespace corral::init {

inline constexpr const char* NEW_ROOT = "/state";
inline constexpr const char* STATE_LABEL = "RANCHER_STATE";

enum class RootKind {
    StateDisk,
    Memory,
};

struct RootPlan {
    RootKind kind { RootKind::Memory };
    std::string device; // the state device, when there is one
    std::string message; // what was decided and why, for the boot log
};

// Finds the state device (§1.2 step 9, §3.7): state.dev resolved, waited for
// when state.wait; when it is missing and state.autoformat lists devices, the
// first one that exists and whose first MiB is zero is formatted ext4 with the
// label RANCHER_STATE. An error only when the device is required
// (state.required) and cannot be had.
ErrorOr<RootPlan> plan_root(const config::StateConfig& state);

// Mounts the chosen root on NEW_ROOT (the state device, with state.directory
// bound over it, or a tmpfs), puts this release's /usr on it (as
// usr-<version>, copied once, with usr pointing at it), the merged-/usr links,
// the initramfs's /etc files it lacks and the top-level directories, then
// switches to it.
enum class ReplaceUsr {
    No,
    Yes, // rancher.rm_usr: copy /usr again even when this release's copy is there
};
ErrorOr<void> enter_root(
    const RootPlan& plan, const config::StateConfig& state, const std::string& version, ReplaceUsr replace_usr);

} // namespace corral::init
