#include "cloudinit/configdrive.h"

#include "base/fd.h"
#include "base/file.h"
#include "base/system.h"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace corral::cloudinit {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t MAX_FILE_SIZE = 16 * 1024 * 1024;

bool is_directory(const std::string& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

ErrorOr<std::vector<std::string>> block_devices(const std::string& sys_block)
{
    DIR* dir = ::opendir(sys_block.c_str());
    if (!dir)
        return Error::from_syscall("opendir '" + sys_block + "'");
    std::vector<std::string> names;
    while (struct dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name.empty() || name[0] == '.')
            continue;
        // RAM disks never carry a config drive, and reading zram would allocate.
        if (name.starts_with("ram") || name.starts_with("zram"))
            continue;
        names.push_back(std::move(name));
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

// The size in 512-byte sectors; an empty drive or a detached loop device is 0.
uint64_t device_sectors(const std::string& sys_block, const std::string& name)
{
    auto text = read_file(sys_block + "/" + name + "/size", 64);
    if (text.is_error())
        return 0;
    return std::strtoull(text->c_str(), nullptr, 10);
}

// sysfs writes a '/' in a device name as '!' (cciss!c0d0 is /dev/cciss/c0d0).
std::string node_name(std::string name)
{
    std::replace(name.begin(), name.end(), '!', '/');
    return name;
}

ErrorOr<std::optional<std::string>> read_optional_file(const std::string& path)
{
    auto text = read_file(path, MAX_FILE_SIZE);
    if (text.is_error()) {
        if (text.error().code() == ENOENT)
            return std::optional<std::string>();
        return text.release_error();
    }
    return std::optional<std::string>(text.release_value());
}

ErrorOr<void> read_drive_files(const std::string& root, ConfigDriveData& out)
{
    auto user_data = TRY(read_optional_file(root + "/openstack/latest/user_data"));
    out.user_data = user_data.value_or("");
    out.meta_data = TRY(read_optional_file(root + "/openstack/latest/meta_data.json"));
    return {};
}

ErrorOr<void> mount_read_only(const LabelledDevice& device, const std::string& mount_point)
{
    std::vector<std::string> types { device.label.fstype };
    for (const char* type : { "iso9660", "vfat", "ext4" }) {
        if (std::find(types.begin(), types.end(), type) == types.end())
            types.push_back(type);
    }
    std::string failures;
    for (auto const& type : types) {
        unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        if (::mount(device.path.c_str(), mount_point.c_str(), type.c_str(), flags, nullptr) == 0)
            return {};
        failures += (failures.empty() ? "" : "; ") + type + ": " + std::strerror(errno);
    }
    return Error::from_string(
        "cannot mount " + device.path + " read-only on " + mount_point + " (" + failures + ")", EIO);
}

// The child's whole job. Runs after fork(): its result goes back through the pipe.
ErrorOr<std::optional<ConfigDriveData>> fetch(const ConfigDriveOptions& options)
{
    ConfigDriveData out;
    if (is_directory(options.mount_point + "/openstack")) {
        out.source = options.mount_point;
        TRY(read_drive_files(options.mount_point, out));
        return std::optional<ConfigDriveData>(std::move(out));
    }

    auto deadline = Clock::now() + options.device_wait;
    std::optional<LabelledDevice> device;
    for (;;) {
        device = TRY(find_device_by_label(CONFIG_DRIVE_LABEL, options.scan));
        if (device || Clock::now() >= deadline)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!device)
        return std::optional<ConfigDriveData>();

    out.source = device->path;
    TRY(mkdir_p(options.mount_point, 0755));
    TRY(mount_read_only(*device, options.mount_point));
    auto read = read_drive_files(options.mount_point, out);
    if (::umount2(options.mount_point.c_str(), 0) < 0) {
        std::string why = std::strerror(errno);
        if (::umount2(options.mount_point.c_str(), MNT_DETACH) < 0)
            out.warnings.push_back("cannot unmount " + options.mount_point + ": " + why);
    }
    if (read.is_error())
        return std::move(read.release_error().context("reading the config drive " + device->path));
    return std::optional<ConfigDriveData>(std::move(out));
}

// The child's report: records of a tag byte, a 4-byte length and the bytes.
enum Tag : char {
    TAG_ERROR = 'E',
    TAG_NONE = 'N',
    TAG_SOURCE = 'S',
    TAG_USER_DATA = 'U',
    TAG_META_DATA = 'M',
    TAG_WARNING = 'W',
};

void put(std::string& out, char tag, std::string_view data)
{
    uint32_t size = static_cast<uint32_t>(data.size());
    out += tag;
    out.append(reinterpret_cast<const char*>(&size), sizeof size);
    out.append(data);
}

std::string encode(const ErrorOr<std::optional<ConfigDriveData>>& result)
{
    std::string out;
    if (result.is_error()) {
        std::string code = std::to_string(result.error().code());
        put(out, TAG_ERROR, code + " " + result.error().message());
    } else if (!result.value()) {
        put(out, TAG_NONE, {});
    } else {
        auto const& data = *result.value();
        put(out, TAG_SOURCE, data.source);
        put(out, TAG_USER_DATA, data.user_data);
        if (data.meta_data)
            put(out, TAG_META_DATA, *data.meta_data);
        for (auto const& warning : data.warnings)
            put(out, TAG_WARNING, warning);
    }
    return out;
}

ErrorOr<std::optional<ConfigDriveData>> decode(std::string_view in)
{
    ConfigDriveData data;
    bool have_data = false;
    while (!in.empty()) {
        uint32_t size = 0;
        if (in.size() < 1 + sizeof size)
            return Error::from_string("config drive reader: truncated report", EIO);
        char tag = in[0];
        std::memcpy(&size, in.data() + 1, sizeof size);
        in.remove_prefix(1 + sizeof size);
        if (in.size() < size)
            return Error::from_string("config drive reader: truncated report", EIO);
        std::string value(in.substr(0, size));
        in.remove_prefix(size);
        switch (tag) {
        case TAG_ERROR: {
            size_t space = value.find(' ');
            int code = std::atoi(value.substr(0, space).c_str());
            return Error::from_string(space == std::string::npos ? value : value.substr(space + 1), code ? code : EIO);
        }
        case TAG_NONE:
            return std::optional<ConfigDriveData>();
        case TAG_SOURCE:
            data.source = std::move(value);
            have_data = true;
            break;
        case TAG_USER_DATA:
            data.user_data = std::move(value);
            break;
        case TAG_META_DATA:
            data.meta_data = std::move(value);
            break;
        case TAG_WARNING:
            data.warnings.push_back(std::move(value));
            break;
        default:
            return Error::from_string("config drive reader: bad report", EIO);
        }
    }
    if (!have_data)
        return Error::from_string("config drive reader exited without a report", EIO);
    return std::optional<ConfigDriveData>(std::move(data));
}

void write_fully(int fd, std::string_view data)
{
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

} // namespace

ErrorOr<std::optional<LabelledDevice>> find_device_by_label(std::string_view label, const BlockScan& scan)
{
    auto names = TRY(block_devices(scan.sys_block));
    for (auto const& name : names) {
        if (device_sectors(scan.sys_block, name) == 0)
            continue;
        std::string path = scan.dev_dir + "/" + node_name(name);
        auto found = read_label(path);
        if (found.is_error() || !found.value())
            continue; // no medium, no node, not ours: keep looking
        if (label_matches(*found.value(), label))
            return std::optional<LabelledDevice>(LabelledDevice { path, *found.value() });
    }
    return std::optional<LabelledDevice>();
}

ErrorOr<std::optional<ConfigDriveData>> read_config_drive(const ConfigDriveOptions& options)
{
    auto [read_end, write_end] = TRY(sys::pipe());
    pid_t pid = ::fork();
    if (pid < 0)
        return Error::from_syscall("fork");
    if (pid == 0) {
        read_end.reset();
        // Our parent gives up on us after the timeout; a SIGPIPE then is fine.
        std::string report = encode(fetch(options));
        write_fully(write_end.get(), report);
        ::_exit(0);
    }
    write_end.reset();

    auto deadline = Clock::now() + options.timeout;
    std::string report;
    bool finished = false;
    while (!finished) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0)
            break;
        struct pollfd pfd = {};
        pfd.fd = read_end.get();
        pfd.events = POLLIN;
        int ready = ::poll(&pfd, 1, static_cast<int>(left));
        if (ready < 0 && errno != EINTR)
            break;
        if (ready <= 0)
            continue;
        char buffer[65536];
        ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            finished = true;
            break;
        }
        if (report.size() + static_cast<size_t>(n) > 3 * MAX_FILE_SIZE) {
            ::kill(pid, SIGKILL);
            (void)::waitpid(pid, nullptr, 0); // killed while not stuck: reaped at once
            return Error::from_string("config drive reader sent too much", EFBIG);
        }
        report.append(buffer, static_cast<size_t>(n));
    }

    if (!finished) {
        ::kill(pid, SIGKILL);
        // A reader stuck in the kernel (D state) dies only when its I/O ends; it is
        // not waited for, so that the boot goes on. Its parent's exit hands it to init.
        (void)::waitpid(pid, nullptr, WNOHANG);
        return Error::from_string("the config drive did not answer within " + std::to_string(options.timeout.count())
                + " ms; giving up on it",
            ETIMEDOUT);
    }
    // The pipe closed: the child is exiting.
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) { }
    return decode(report);
}

} // namespace corral::cloudinit
