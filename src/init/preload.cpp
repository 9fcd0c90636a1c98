#include "init/preload.h"

#include "base/file.h"
#include "base/system.h"

#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

namespace corral::init {

using json = nlohmann::json;

namespace {

bool is_hex64(const std::string& text)
{
    if (text.size() != 64)
        return false;
    for (char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

ErrorOr<void> copy_if_missing(const std::string& from, const std::string& to)
{
    if (::access(to.c_str(), F_OK) == 0)
        return {};
    std::string data = TRY(read_file(from, 64 * 1024 * 1024));
    return write_file_atomic(to, data, 0600, KeepMode::No);
}

ErrorOr<json> read_json(const std::string& path)
{
    std::string text = TRY(read_file(path, 16 * 1024 * 1024));
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return Error::from_string(path + ": not a JSON object");
    return j;
}

} // namespace

ErrorOr<SeedReport> seed_store(const std::string& preload, const std::string& store)
{
    SeedReport report;
    for (auto const* dir : { "blobs/sha256", "layers", "images" })
        TRY(mkdir_p(store + "/" + dir, 0700));

    for (auto const& name : list_dir(preload + "/layers")) {
        if (!is_hex64(name))
            continue;
        std::string link = store + "/layers/" + name;
        std::string target = preload + "/layers/" + name;
        struct stat st {};
        if (::lstat(link.c_str(), &st) == 0) {
            if (!S_ISLNK(st.st_mode))
                continue; // a real directory: the engine's own copy wins
            (void)::unlink(link.c_str()); // re-pointed below at this boot's medium
        }
        // Made under a temporary name and renamed, so that the engine never
        // sees a half-made entry.
        std::string temp = store + "/layers/tmp-link-" + random_suffix();
        if (::symlink(target.c_str(), temp.c_str()) < 0)
            return Error::from_syscall("symlink '" + target + "' '" + temp + "'");
        TRY(sys::rename(temp, link));
        ++report.layers_linked;
    }

    for (auto const& name : list_dir(preload + "/images")) {
        if (!name.ends_with(".json"))
            continue;
        std::string id = name.substr(0, name.size() - 5);
        if (!is_hex64(id))
            continue;
        TRY(copy_if_missing(preload + "/blobs/sha256/" + id, store + "/blobs/sha256/" + id));
        TRY(copy_if_missing(preload + "/images/" + name, store + "/images/" + name));
        report.images.push_back("sha256:" + id);
    }

    json preloaded = TRY(read_json(preload + "/repositories.json"));
    json current = json::object();
    if (::access((store + "/repositories.json").c_str(), F_OK) == 0) {
        auto existing = read_json(store + "/repositories.json");
        if (!existing.is_error())
            current = existing.release_value(); // an unreadable file is rebuilt from the preload
    }
    if (!current.contains("references") || !current["references"].is_object())
        current["references"] = json::object();
    bool changed = false;
    if (preloaded.contains("references") && preloaded["references"].is_object()) {
        for (auto const& [reference, id] : preloaded["references"].items()) {
            // The system images' tags always name this release's images.
            if (current["references"].value(reference, json()) != id) {
                current["references"][reference] = id;
                report.tags.push_back(reference);
                changed = true;
            }
        }
    }
    if (changed)
        TRY(write_file_atomic(store + "/repositories.json", current.dump(2) + "\n", 0600, KeepMode::No));
    return report;
}

} // namespace corral::init
