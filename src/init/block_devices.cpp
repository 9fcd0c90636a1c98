#include "init/block_devices.h"

#include "base/fd.h"
#include "base/system.h"

#include <blkid/blkid.h>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

namespace corral::init {

std::optional<std::string> resolve_device(std::string_view spec)
{
    std::string text(spec);
    if (text.starts_with("/")) {
        if (::access(text.c_str(), F_OK) == 0)
            return text;
        return std::nullopt;
    }
    // A fresh cache each time: devices appear while we wait, and a stale cache
    // file would only hide them.
    blkid_cache cache = nullptr;
    if (blkid_get_cache(&cache, "/dev/null") < 0)
        return std::nullopt;
    blkid_probe_all_new(cache);
    char* found = blkid_evaluate_tag(text.c_str(), nullptr, &cache);
    std::optional<std::string> result;
    if (found) {
        result = std::string(found);
        ::free(found);
    }
    blkid_put_cache(cache);
    return result;
}

std::optional<std::string> wait_for_device(std::string_view spec, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto device = resolve_device(spec))
            return device;
        if (std::chrono::steady_clock::now() >= deadline)
            return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

ErrorOr<std::string> filesystem_type(const std::string& device)
{
    blkid_probe probe = blkid_new_probe_from_filename(device.c_str());
    if (!probe)
        return Error::from_syscall("blkid probe '" + device + "'");
    blkid_probe_enable_superblocks(probe, 1);
    blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_TYPE);
    std::string type;
    const char* value = nullptr;
    if (blkid_do_safeprobe(probe) == 0 && blkid_probe_lookup_value(probe, "TYPE", &value, nullptr) == 0 && value)
        type = value;
    blkid_free_probe(probe);
    if (type.empty())
        return Error::from_string("no file system found on " + device, ENODEV);
    return type;
}

ErrorOr<bool> starts_with_zeros(const std::string& device, size_t bytes)
{
    Fd fd = TRY(sys::open(device, O_RDONLY));
    std::string buffer(64 * 1024, '\0');
    size_t done = 0;
    while (done < bytes) {
        ssize_t n = ::read(fd.get(), buffer.data(), std::min(buffer.size(), bytes - done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_syscall("read '" + device + "'");
        }
        if (n == 0)
            break; // a device smaller than the window: what there is counts
        for (ssize_t i = 0; i < n; ++i) {
            if (buffer[static_cast<size_t>(i)] != '\0')
                return false;
        }
        done += static_cast<size_t>(n);
    }
    return true;
}

} // namespace corral::init
