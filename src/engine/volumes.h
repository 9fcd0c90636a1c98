#pragma once

// Named volumes: Docker's `local` volume driver. Under the root given to open()
// (the engine passes <data-root>/volumes, which is made 0701 as Docker's):
//   <root>/<name>/_data        the data, bound into containers
//   <root>/<name>/volume.json  name, driver, labels, options, created_at,
//                              anonymous, copied
// A volume appears whole or not at all: it is assembled in a hidden directory
// and renamed into place, and removed by renaming it aside first; open() clears
// what an interrupted create or remove left. The store is safe to use from
// several threads.

#include "base/error.h"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace corral::engine {

struct Volume {
    std::string name;
    std::string driver { "local" };
    std::string mountpoint; // <root>/<name>/_data
    std::string created_at; // RFC 3339, as Docker's CreatedAt
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> options; // DriverOpts: type, device, o
    bool anonymous { false };
    bool copied { false }; // the image's content was copied in once (copy_up)
};

// `docker volume prune` filters. Docker before 23.0 (API < 1.42) pruned every
// unused volume; since then only anonymous ones unless `all` is set, so the
// engine sets `all` for older API versions.
struct VolumePruneFilter {
    bool all { false };
    // label=k or label=k=v: the volume must match every one.
    std::vector<std::string> labels;
    // label!=k or label!=k=v: the volume is kept when it matches every one.
    std::vector<std::string> labels_not;
};

// Whether a volume with these labels passes the filter's label conditions
// (Docker's matchLabels; `all` is not looked at).
bool matches_labels(const VolumePruneFilter& filter, const std::map<std::string, std::string>& labels);

class VolumeStore {
public:
    // Opens the store at `root`, creating it (0701) when missing. It removes the
    // leftovers of interrupted creates and removes, and unmounts the options
    // mounts a previous run left (Docker 20.10's local driver does the same: the
    // counts of their users died with that run).
    static ErrorOr<VolumeStore> open(std::string root);

    VolumeStore(VolumeStore&&) noexcept;
    VolumeStore& operator=(VolumeStore&&) noexcept;
    ~VolumeStore();

    const std::string& root() const;

    // An empty name makes an anonymous volume with a random 64-hex-digit name.
    // Names follow Docker's rule [a-zA-Z0-9][a-zA-Z0-9_.-]+ (EINVAL otherwise,
    // with Docker's message). Options are the local driver's `type`, `device` and
    // `o` (mount(2)'s type, source and options: -o type=tmpfs -o device=tmpfs
    // -o o=size=100m,uid=1000); `type` and `device` go together and `o` needs
    // both; anything else is EINVAL `invalid option: "x"`, and `size` (an XFS
    // quota) is refused as unsupported. Creating an existing name returns the
    // existing volume, as Docker does, unless other options are given (EEXIST).
    ErrorOr<Volume> create(const std::string& name, const std::map<std::string, std::string>& labels = {},
        const std::map<std::string, std::string>& options = {});

    // ENOENT `get x: no such volume`; a volume.json that does not parse is EINVAL.
    ErrorOr<Volume> get(const std::string& name) const;

    // Every volume, sorted by name. A volume whose volume.json is missing or does
    // not parse is left out and described in *warnings (Docker's VolumeList
    // Warnings); with no `warnings`, it is logged as a warning instead.
    ErrorOr<std::vector<Volume>> list(std::vector<std::string>* warnings = nullptr) const;

    // Returns the host path to bind into the container. A volume with mount
    // options has them mounted on _data when its first container uses it; the
    // store counts the containers by id (in memory) so that unmount() undoes the
    // mount after the last one. Mounting twice for one container counts once.
    ErrorOr<std::string> mount(const std::string& name, const std::string& container_id);
    // Unmounts after the last container. Unknown ids are not an error.
    ErrorOr<void> unmount(const std::string& name, const std::string& container_id);

    // Docker's copy-up, for a container that mounts this volume where its image
    // has content: when the volume was never copied into and its _data is empty,
    // the content of `image_dir` (a directory on the host inside the container's
    // image root, already resolved by the caller; missing or not a directory:
    // nothing to copy) is copied in with file types, modes, owners, timestamps,
    // xattrs and hard links, never following a symlink in either tree, and _data
    // gets the directory's own owner and mode. The volume is then marked copied.
    // A volume with mount options is decided by emptiness alone, as Docker does,
    // because its content lives and dies with the mount (tmpfs); it is mounted for
    // the copy when no container holds it mounted.
    ErrorOr<void> copy_up(const std::string& name, const std::string& image_dir);

    // Removes the volume's data and metadata. `used_by` names the containers that
    // reference it (the engine knows them); a non-empty list, or containers that
    // hold it mounted, is EBUSY `remove x: volume is in use - [id1, id2]`. A
    // volume with mount options is unmounted first; anything else still mounted
    // inside it is EBUSY. ENOENT `get x: no such volume`.
    ErrorOr<void> remove(const std::string& name, const std::vector<std::string>& used_by = {});

    struct PruneReport {
        std::vector<std::string> removed;
        uint64_t reclaimed { 0 }; // bytes of _data, measured before removal
        std::vector<std::string> warnings; // volumes that could not be removed
    };
    // Removes the volumes that no container uses (`in_use` names the referenced
    // ones) and that pass `filter`. A volume that cannot be removed is skipped and
    // described in the warnings, as Docker skips it.
    ErrorOr<PruneReport> prune(const std::set<std::string>& in_use, const VolumePruneFilter& filter);

    // Bytes in the volume's _data (hard links once), for `docker system df`.
    ErrorOr<uint64_t> size(const std::string& name) const;

private:
    struct State;
    explicit VolumeStore(std::unique_ptr<State> state);

    std::unique_ptr<State> m_state;
};

} // namespace corral::engine
