#pragma once

// A CorralOS virtual machine for the VM tests: QEMU under TCG (nested KVM
// hangs on these machines; CORRAL_ACCEL=kvm overrides), the serial console
// captured to a file that the test reads, user-mode networking with the
// guest's SSH port forwarded to a free 127.0.0.1 port, and ssh run through the
// host's OpenSSH client with a key the test made. The QEMU process is killed
// and reaped when the object goes away, whatever the test did.

#include "base/process.h"
#include "test_image.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace corral::test {

struct VmOptions {
    std::string iso; // dist/corralos.iso: attached as a CD-ROM
    bool boot_iso { false }; // boot it through isolinux instead of -kernel
    std::string kernel; // dist/vmlinuz
    std::string initrd; // dist/initrd
    std::string append; // the kernel command line for -kernel
    std::string disk; // a qcow2 disk (virtio, /dev/vda), or empty
    std::string config_drive; // an ISO labelled config-2 (second CD-ROM), or empty
    int memory_mb { 1024 };
};

struct SshResult {
    int code { -1 };
    std::string out, err;
};

class QemuVm {
public:
    // Starts QEMU; nullptr (with the reason added to the current test) when it
    // cannot start. `key` is the private key for ssh().
    static std::unique_ptr<QemuVm> start(const VmOptions& options, const std::string& key);
    ~QemuVm();

    // The serial console so far.
    std::string serial() const;
    // Waits until `text` appears in the serial output after byte `from`;
    // returns the offset just past it, or nullopt at the timeout or when QEMU
    // has exited.
    std::optional<size_t> wait_for_serial(const std::string& text, std::chrono::seconds timeout, size_t from = 0) const;
    // Seconds since QEMU was started.
    double elapsed() const;

    // Runs `command` as rancher over ssh (bounded by `timeout`).
    SshResult ssh(const std::string& command, std::chrono::seconds timeout = std::chrono::seconds(60)) const;
    // Retries `true` over ssh until it works; false at the timeout.
    bool wait_for_ssh(std::chrono::seconds timeout) const;
    // Waits for QEMU to exit by itself; its exit status or nullopt.
    std::optional<int> wait_for_exit(std::chrono::seconds timeout);
    bool running();

    int ssh_port() const { return m_port; }

private:
    QemuVm() = default;

    std::unique_ptr<TempDir> m_dir;
    std::string m_serial_path;
    std::string m_key;
    int m_port { 0 };
    pid_t m_pid { -1 };
    std::chrono::steady_clock::time_point m_started;
};

// The artifacts the VM tests boot, from dist/ of the source tree; nullopt
// (with a printed reason) when they have not been built.
struct DistFiles {
    std::string iso, kernel, initrd;
};
std::optional<DistFiles> find_dist(std::string& why);

// The kernel command line of the ISO's default entry, for -kernel boots.
std::string default_append();

// An ed25519 key pair in `dir` (dir/id_ed25519 and .pub); returns the public key line.
std::string make_ssh_key(const std::string& dir);

// An ISO9660 config drive labelled config-2 with openstack/latest/user_data.
std::string make_config_drive(const std::string& dir, const std::string& user_data);

} // namespace corral::test
