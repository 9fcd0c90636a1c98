#include "qemu_vm.h"

#include "base/file.h"

#include <arpa/inet.h>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace corral::test {

namespace {

int free_port()
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

SshResult run_bounded(std::vector<std::string> argv, std::chrono::seconds timeout)
{
    SshResult result;
    std::vector<std::string> bounded = { "timeout", "-k", "5", std::to_string(timeout.count()) };
    bounded.insert(bounded.end(), argv.begin(), argv.end());
    SpawnOptions options;
    options.argv = bounded;
    auto ran = run(options);
    if (ran.is_error()) {
        result.err = ran.error().message();
        return result;
    }
    result.code = ran.value().status.code();
    result.out = ran.value().out;
    result.err = ran.value().err;
    return result;
}

} // namespace

std::optional<DistFiles> find_dist(std::string& why)
{
    DistFiles files { CORRAL_SOURCE_DIR "/dist/corralos.iso", CORRAL_SOURCE_DIR "/dist/vmlinuz",
        CORRAL_SOURCE_DIR "/dist/initrd" };
    for (auto const& path : { files.iso, files.kernel, files.initrd }) {
        if (::access(path.c_str(), R_OK) != 0) {
            why = path + " is missing: run `make dist` first";
            return std::nullopt;
        }
    }
    if (::access("/usr/bin/qemu-system-x86_64", X_OK) != 0) {
        why = "qemu-system-x86_64 is not installed (scripts/deps.sh installs it)";
        return std::nullopt;
    }
    return files;
}

std::string default_append()
{
    return "console=tty1 console=ttyS0 printk.devkmsg=on panic=10";
}

std::string make_ssh_key(const std::string& dir)
{
    std::string key = dir + "/id_ed25519";
    SpawnOptions options;
    options.argv = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vm-test", "-f", key };
    auto ran = run(options);
    EXPECT_FALSE(ran.is_error() || ran.value().status.code() != 0) << "ssh-keygen failed";
    auto pub = read_file(key + ".pub");
    if (pub.is_error())
        return {};
    std::string line = pub.value();
    while (!line.empty() && line.back() == '\n')
        line.pop_back();
    return line;
}

std::string make_config_drive(const std::string& dir, const std::string& user_data)
{
    std::string tree = dir + "/config-drive";
    EXPECT_FALSE(mkdir_p(tree + "/openstack/latest", 0755).is_error());
    EXPECT_FALSE(write_file_atomic(tree + "/openstack/latest/user_data", user_data, 0644).is_error());
    std::string iso = dir + "/config-2.iso";
    SpawnOptions options;
    options.argv = { "xorriso", "-as", "mkisofs", "-quiet", "-V", "config-2", "-J", "-R", "-o", iso, tree };
    auto ran = run(options);
    EXPECT_FALSE(ran.is_error() || ran.value().status.code() != 0)
        << "xorriso: " << (ran.is_error() ? ran.error().message() : ran.value().err);
    return iso;
}

std::unique_ptr<QemuVm> QemuVm::start(const VmOptions& options, const std::string& key)
{
    std::unique_ptr<QemuVm> vm(new QemuVm());
    vm->m_dir = std::make_unique<TempDir>();
    vm->m_serial_path = vm->m_dir->path() + "/serial.log";
    vm->m_key = key;
    vm->m_port = free_port();
    const char* accel = ::getenv("CORRAL_ACCEL");
    std::vector<std::string> argv = { "qemu-system-x86_64", "-accel", accel && *accel ? accel : "tcg", "-m",
        std::to_string(options.memory_mb), "-smp", "2", "-nographic", "-no-user-config", "-nodefaults", "-serial",
        "file:" + vm->m_serial_path, "-monitor", "none", "-netdev",
        "user,id=net0,hostfwd=tcp:127.0.0.1:" + std::to_string(vm->m_port) + "-:22", "-device",
        "virtio-net-pci,netdev=net0", "-device", "virtio-rng-pci", "-drive",
        "file=" + options.iso + ",media=cdrom,if=ide,index=2,readonly=on" };
    if (!options.config_drive.empty())
        argv.insert(argv.end(), { "-drive", "file=" + options.config_drive + ",media=cdrom,if=ide,index=3,readonly=on" });
    if (!options.disk.empty())
        argv.insert(argv.end(), { "-drive", "file=" + options.disk + ",if=virtio,format=qcow2" });
    if (options.boot_iso) {
        argv.insert(argv.end(), { "-boot", "d" });
    } else {
        argv.insert(argv.end(), { "-kernel", options.kernel, "-initrd", options.initrd, "-append", options.append });
    }
    vm->m_started = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        int log = ::open((vm->m_dir->path() + "/qemu.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(log, 1);
        ::dup2(log, 2);
        std::vector<char*> args;
        for (auto& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    if (pid < 0) {
        ADD_FAILURE() << "fork: " << std::strerror(errno);
        return nullptr;
    }
    vm->m_pid = pid;
    return vm;
}

QemuVm::~QemuVm()
{
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    if (::testing::Test::HasFailure()) {
        // What the console said is the best evidence of why.
        std::string text = serial();
        if (text.size() > 12000)
            text = "…" + text.substr(text.size() - 12000);
        std::fprintf(stderr, "---- serial console (end) ----\n%s\n---- end ----\n", text.c_str());
    }
}

std::string QemuVm::serial() const
{
    auto text = read_file(m_serial_path, 64 * 1024 * 1024);
    return text.is_error() ? std::string() : text.value();
}

double QemuVm::elapsed() const
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
}

std::optional<size_t> QemuVm::wait_for_serial(const std::string& text, std::chrono::seconds timeout, size_t from) const
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::string now = serial();
        if (now.size() > from) {
            size_t at = now.find(text, from);
            if (at != std::string::npos)
                return at + text.size();
        }
        if (std::chrono::steady_clock::now() >= deadline || ::waitpid(m_pid, nullptr, WNOHANG) == m_pid)
            return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

SshResult QemuVm::ssh(const std::string& command, std::chrono::seconds timeout) const
{
    return run_bounded({ "ssh", "-q", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
                           "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", "-i", m_key, "-p",
                           std::to_string(m_port), "rancher@127.0.0.1", command },
        timeout);
}

bool QemuVm::wait_for_ssh(std::chrono::seconds timeout) const
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (ssh("true", std::chrono::seconds(10)).code == 0)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
}

std::optional<int> QemuVm::wait_for_exit(std::chrono::seconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (std::chrono::steady_clock::now() >= deadline)
            return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

bool QemuVm::running()
{
    return m_pid > 0 && ::waitpid(m_pid, nullptr, WNOHANG) == 0;
}

} // namespace corral::test
