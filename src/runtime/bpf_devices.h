#pragma once

// Device rules on cgroup v2: cgroup v2 has no devices.allow; the kernel instead
// runs a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup on every
// open or mknod of a device node, and the access is allowed when it returns 1.
//
// The rules mean what they mean on v1, so a container gets the same devices on
// this hybrid host and in the v2 OS image. The rule list is first replayed the
// way the v1 devices controller replays writes to devices.allow/devices.deny
// (emulate_device_rules, after runc's devices emulator); the result, a default
// and a set of exceptions, is compiled to a program (device_filter_program).
// That is "in order, the last matching rule wins", with v1's two refinements:
//   * "a" (type all) resets: `deny a` starts an allow-list, `allow a` a deny-list,
//     and every rule before it is forgotten;
//   * rules for the same device merge their access ("c 1:3 r" then "c 1:3 w"
//     allows an O_RDWR open), and a rule of the default's kind removes access
//     from an exception with the same type and numbers rather than matching
//     wider ("deny c *:* m" does not punch into "allow c 1:3 rwm").
// In an allow-list an access is allowed when one exception covers all of it; in
// a deny-list it is refused when an exception covers any of it (the kernel's
// match_exception and match_exception_partial).
//
// The pure parts (emulation, instruction encoding) are unit-tested. Loading and
// attaching need CAP_BPF/CAP_SYS_ADMIN and a cgroup2 directory; the privileged
// test exercises them on this host's (controller-less) /sys/fs/cgroup/unified,
// where device programs work because they need no controller, and the VM tests
// exercise them in the OS image.

#include "base/error.h"
#include "base/fd.h"
#include "runtime/spec.h"

#include <cstdint>
#include <linux/bpf.h>
#include <vector>

namespace corral::runtime {

// The state v1 would be in after the rules: the default and the exceptions to it
// (every exception has allow == !default_allow, type 'c' or 'b').
struct DeviceRuleSet {
    bool default_allow { true }; // a new v1 cgroup starts as its parent: the root allows all
    std::vector<DeviceRule> exceptions;
};

// Errors (EINVAL): a rule of unknown type or access letters, a major or minor
// above 2^31 - 1.
ErrorOr<DeviceRuleSet> emulate_device_rules(const std::vector<DeviceRule>& rules);

// Instruction encoding (eBPF, include/uapi/linux/bpf.h). Registers are 0-10;
// 32-bit ALU ops ("w" registers) zero the upper half.
namespace bpf {
bpf_insn load_word(uint8_t dst, uint8_t src, int16_t offset); // dst = *(u32*)(src + offset)
bpf_insn and32_imm(uint8_t dst, int32_t imm); // wdst &= imm
bpf_insn rsh32_imm(uint8_t dst, int32_t imm); // wdst >>= imm
bpf_insn mov32_reg(uint8_t dst, uint8_t src); // wdst = wsrc
bpf_insn mov32_imm(uint8_t dst, int32_t imm); // wdst = imm
bpf_insn jne_imm(uint8_t dst, int32_t imm, int16_t offset); // if dst != imm goto +offset
bpf_insn jne_reg(uint8_t dst, uint8_t src, int16_t offset); // if dst != src goto +offset
bpf_insn jeq_imm(uint8_t dst, int32_t imm, int16_t offset); // if dst == imm goto +offset
bpf_insn exit_insn(); // return r0
} // namespace bpf

// The program for `rules`. It reads struct bpf_cgroup_dev_ctx (r1): the type in
// the low 16 bits of access_type (r2), the access in the high 16 (r3), major
// (r4), minor (r5); then one block per exception that jumps to the next block
// on a mismatch and otherwise returns the exception's verdict; then the default.
// Errors: as emulate_device_rules.
ErrorOr<std::vector<bpf_insn>> device_filter_program(const std::vector<DeviceRule>& rules);

// Loads a program as BPF_PROG_TYPE_CGROUP_DEVICE (license "Apache", as runc).
// A verifier failure carries the end of the verifier's log in the message.
ErrorOr<Fd> load_device_filter(const std::vector<bpf_insn>& program);

// Compiles `rules`, loads the program and attaches it to the cgroup2 directory
// `cgroup_fd` (opened O_RDONLY | O_DIRECTORY) with BPF_F_ALLOW_MULTI, then
// detaches the device programs that were attached there before, so that an
// update replaces the rules without a moment where none apply. Programs of
// ancestors stay: the kernel allows an access only when every one allows it.
// `cgroup_path` only names the cgroup in errors.
ErrorOr<void> apply_device_filter(int cgroup_fd, const std::string& cgroup_path, const std::vector<DeviceRule>& rules);

} // namespace corral::runtime
