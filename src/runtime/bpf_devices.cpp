#include "runtime/bpf_devices.h"

#include "base/linux_syscalls.h"
#include "runtime/cgroup_plan.h"

#include <algorithm>
#include <cstring>
#include <sys/syscall.h>
#include <unistd.h>

namespace corral::runtime {

namespace {

uint8_t access_bits(const std::string& access)
{
    uint8_t bits = 0;
    for (char c : access.empty() ? std::string("rwm") : access) {
        if (c == 'r')
            bits |= BPF_DEVCG_ACC_READ;
        else if (c == 'w')
            bits |= BPF_DEVCG_ACC_WRITE;
        else if (c == 'm')
            bits |= BPF_DEVCG_ACC_MKNOD;
    }
    return bits;
}

std::string access_string(uint8_t bits)
{
    std::string out;
    if (bits & BPF_DEVCG_ACC_READ)
        out += 'r';
    if (bits & BPF_DEVCG_ACC_WRITE)
        out += 'w';
    if (bits & BPF_DEVCG_ACC_MKNOD)
        out += 'm';
    return out;
}

bool same_device(const DeviceRule& a, const DeviceRule& b)
{
    return a.type == b.type && a.major == b.major && a.minor == b.minor;
}

constexpr uint8_t ALL_ACCESS = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

} // namespace

ErrorOr<DeviceRuleSet> emulate_device_rules(const std::vector<DeviceRule>& rules)
{
    DeviceRuleSet set;
    for (const auto& rule : rules) {
        // The same validation as the v1 plan, so both layouts refuse the same rules.
        TRY(device_rule_string(rule));
        // The program compares numbers as 32-bit immediates. Linux's are 12 bits
        // (major) and 20 bits (minor), so this refuses only nonsense.
        for (auto [number, what] : { std::pair { rule.major, "major" }, std::pair { rule.minor, "minor" } }) {
            if (number > INT32_MAX)
                return Error::from_string(
                    "device rule: " + std::string(what) + " " + std::to_string(number) + " is too large");
        }
        if (rule.type == 'a') {
            set.default_allow = rule.allow;
            set.exceptions.clear();
            continue;
        }
        DeviceRule normalized = rule;
        normalized.major = rule.major < 0 ? -1 : rule.major;
        normalized.minor = rule.minor < 0 ? -1 : rule.minor;
        uint8_t bits = access_bits(rule.access);
        if (rule.allow == set.default_allow) {
            // devcgroup's dev_exception_rm: take the access away from exceptions for
            // exactly this type and numbers; drop those left with none.
            for (auto it = set.exceptions.begin(); it != set.exceptions.end();) {
                if (same_device(*it, normalized)) {
                    it->access = access_string(access_bits(it->access) & ~bits);
                    if (it->access.empty()) {
                        it = set.exceptions.erase(it);
                        continue;
                    }
                }
                ++it;
            }
            continue;
        }
        // dev_exception_add: merge into an exception for the same device.
        auto same = std::find_if(set.exceptions.begin(), set.exceptions.end(),
            [&](const DeviceRule& existing) { return same_device(existing, normalized); });
        if (same != set.exceptions.end()) {
            same->access = access_string(access_bits(same->access) | bits);
        } else {
            normalized.access = access_string(bits);
            set.exceptions.push_back(normalized);
        }
    }
    return set;
}

namespace bpf {

namespace {

bpf_insn make(uint8_t code, uint8_t dst, uint8_t src, int16_t offset, int32_t imm)
{
    bpf_insn insn {};
    insn.code = code;
    insn.dst_reg = dst & 0xf;
    insn.src_reg = src & 0xf;
    insn.off = offset;
    insn.imm = imm;
    return insn;
}

} // namespace

bpf_insn load_word(uint8_t dst, uint8_t src, int16_t offset)
{
    return make(BPF_LDX | BPF_MEM | BPF_W, dst, src, offset, 0);
}

bpf_insn and32_imm(uint8_t dst, int32_t imm)
{
    return make(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm);
}
bpf_insn rsh32_imm(uint8_t dst, int32_t imm)
{
    return make(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov32_reg(uint8_t dst, uint8_t src)
{
    return make(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn mov32_imm(uint8_t dst, int32_t imm)
{
    return make(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn jne_imm(uint8_t dst, int32_t imm, int16_t offset)
{
    return make(BPF_JMP | BPF_JNE | BPF_K, dst, 0, offset, imm);
}
bpf_insn jne_reg(uint8_t dst, uint8_t src, int16_t offset)
{
    return make(BPF_JMP | BPF_JNE | BPF_X, dst, src, offset, 0);
}
bpf_insn jeq_imm(uint8_t dst, int32_t imm, int16_t offset)
{
    return make(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, offset, imm);
}
bpf_insn exit_insn()
{
    return make(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

} // namespace bpf

namespace {

// Registers the program keeps its inputs in.
constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

} // namespace

ErrorOr<std::vector<bpf_insn>> device_filter_program(const std::vector<DeviceRule>& rules)
{
    DeviceRuleSet set = TRY(emulate_device_rules(rules));
    std::vector<bpf_insn> program {
        bpf::load_word(R2, R1, 0), // access_type
        bpf::and32_imm(R2, 0xFFFF), // the type: BPF_DEVCG_DEV_BLOCK or _CHAR
        bpf::load_word(R3, R1, 0), bpf::rsh32_imm(R3, 16), // the access: BPF_DEVCG_ACC_*
        bpf::load_word(R4, R1, 4), // major
        bpf::load_word(R5, R1, 8), // minor
    };
    for (const auto& exception : set.exceptions) {
        // Each jump goes to the next block; offsets are fixed once the block's
        // length is known.
        size_t block_start = program.size();
        int32_t type = exception.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
        program.push_back(bpf::jne_imm(R2, type, 0));
        uint8_t bits = access_bits(exception.access);
        if (bits != ALL_ACCESS) {
            program.push_back(bpf::mov32_reg(R1, R3));
            program.push_back(bpf::and32_imm(R1, bits));
            if (set.default_allow)
                program.push_back(bpf::jeq_imm(R1, 0, 0)); // denied if any requested access is listed
            else
                program.push_back(bpf::jne_reg(R1, R3, 0)); // allowed if every requested access is listed
        }
        if (exception.major >= 0)
            program.push_back(bpf::jne_imm(R4, static_cast<int32_t>(exception.major), 0));
        if (exception.minor >= 0)
            program.push_back(bpf::jne_imm(R5, static_cast<int32_t>(exception.minor), 0));
        program.push_back(bpf::mov32_imm(R0, exception.allow ? 1 : 0));
        program.push_back(bpf::exit_insn());
        size_t next_block = program.size();
        for (size_t i = block_start; i < next_block; ++i) {
            uint8_t op = program[i].code;
            if (BPF_CLASS(op) == BPF_JMP && BPF_OP(op) != BPF_EXIT)
                program[i].off = static_cast<int16_t>(next_block - (i + 1));
        }
    }
    program.push_back(bpf::mov32_imm(R0, set.default_allow ? 1 : 0));
    program.push_back(bpf::exit_insn());
    return program;
}

namespace {

uint64_t pointer_to_u64(const void* pointer)
{
    return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(pointer));
}

} // namespace

ErrorOr<Fd> load_device_filter(const std::vector<bpf_insn>& program)
{
    static const char license[] = "Apache";
    auto load = [&](char* log, uint32_t log_size) {
        union bpf_attr attr;
        std::memset(&attr, 0, sizeof attr);
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = pointer_to_u64(program.data());
        attr.insn_cnt = static_cast<uint32_t>(program.size());
        attr.license = pointer_to_u64(license);
        if (log) {
            attr.log_buf = pointer_to_u64(log);
            attr.log_size = log_size;
            attr.log_level = 1;
        }
        return static_cast<int>(sys::raw_bpf(BPF_PROG_LOAD, attr));
    };
    int fd = load(nullptr, 0);
    if (fd >= 0)
        return Fd(fd);
    int code = errno;
    // Load again with the verifier's log for the error; the first attempt goes
    // without, because the log costs time and a too-small log buffer is itself a
    // failure (ENOSPC).
    std::string log(256 * 1024, '\0');
    int retry = load(log.data(), static_cast<uint32_t>(log.size()));
    if (retry >= 0)
        return Fd(retry);
    log.resize(std::strlen(log.c_str()));
    while (!log.empty() && (log.back() == '\n' || log.back() == ' '))
        log.pop_back();
    if (log.size() > 2000)
        log = "…" + log.substr(log.size() - 2000);
    std::string call = "bpf BPF_PROG_LOAD (cgroup device filter, " + std::to_string(program.size()) + " instructions)";
    if (!log.empty())
        call += " [verifier: " + log + "]";
    return Error::from_errno(code, call);
}

namespace {

// The device programs attached directly to the cgroup (not its ancestors').
ErrorOr<std::vector<uint32_t>> attached_programs(int cgroup_fd, const std::string& cgroup_path)
{
    std::vector<uint32_t> ids(64);
    union bpf_attr attr;
    for (;;) {
        std::memset(&attr, 0, sizeof attr);
        attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = pointer_to_u64(ids.data());
        attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
        if (sys::raw_bpf(BPF_PROG_QUERY, attr) == 0)
            break;
        // ENOSPC: more programs than room; prog_cnt says how many there are.
        if (errno == ENOSPC && attr.query.prog_cnt > ids.size()) {
            ids.resize(attr.query.prog_cnt);
            continue;
        }
        return Error::from_syscall("bpf BPF_PROG_QUERY '" + cgroup_path + "'");
    }
    ids.resize(std::min<size_t>(attr.query.prog_cnt, ids.size()));
    return ids;
}

ErrorOr<void> detach_program(int cgroup_fd, const std::string& cgroup_path, uint32_t id)
{
    union bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_id = id;
    int fd = static_cast<int>(sys::raw_bpf(BPF_PROG_GET_FD_BY_ID, attr));
    if (fd < 0) {
        // Detached (and freed) by someone else in the meantime.
        if (errno == ENOENT)
            return {};
        return Error::from_syscall("bpf BPF_PROG_GET_FD_BY_ID " + std::to_string(id));
    }
    Fd program(fd);
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.attach_bpf_fd = static_cast<uint32_t>(program.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (sys::raw_bpf(BPF_PROG_DETACH, attr) < 0 && errno != ENOENT)
        return Error::from_syscall("bpf BPF_PROG_DETACH '" + cgroup_path + "' (program " + std::to_string(id) + ")");
    return {};
}

} // namespace

ErrorOr<void> apply_device_filter(int cgroup_fd, const std::string& cgroup_path, const std::vector<DeviceRule>& rules)
{
    auto program = TRY_CONTEXT(device_filter_program(rules), "device rules for '" + cgroup_path + "'");
    Fd loaded = TRY_CONTEXT(load_device_filter(program), "device rules for '" + cgroup_path + "'");
    auto old_ids = TRY(attached_programs(cgroup_fd, cgroup_path));

    union bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.attach_bpf_fd = static_cast<uint32_t>(loaded.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys::raw_bpf(BPF_PROG_ATTACH, attr) < 0)
        return Error::from_syscall("bpf BPF_PROG_ATTACH '" + cgroup_path + "' (BPF_CGROUP_DEVICE)");
    // The attachment holds the program now; closing `loaded` does not detach it.
    for (uint32_t id : old_ids)
        TRY(detach_program(cgroup_fd, cgroup_path, id));
    return {};
}

} // namespace corral::runtime
