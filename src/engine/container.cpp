#include "engine/container.h"

namespace corral::engine {

namespace {

nlohmann::json mount_to_json(const MountPoint& m)
{
    return { { "Type", m.type }, { "Name", m.name }, { "Source", m.source }, { "Destination", m.destination },
        { "Mode", m.mode }, { "RW", m.rw }, { "Propagation", m.propagation }, { "NoCopy", m.no_copy },
        { "Anonymous", m.anonymous } };
}

template<typename T>
void read(const nlohmann::json& json, const char* key, T& out)
{
    auto it = json.find(key);
    if (it == json.end() || it->is_null())
        return;
    out = it->get<T>();
}

} // namespace

nlohmann::json container_to_json(const Container& c)
{
    nlohmann::json mounts = nlohmann::json::array();
    for (auto const& m : c.mounts)
        mounts.push_back(mount_to_json(m));
    auto const& s = c.state;
    return {
        { "Id", c.id },
        { "Name", c.name },
        { "Created", c.created },
        { "Image", c.image },
        { "ImageID", c.image_id },
        { "Request", c.request },
        { "Mounts", mounts },
        { "RestartCount", c.restart_count },
        { "HasBeenManuallyStopped", c.manually_stopped },
        { "LogPath", c.log_path },
        { "State",
            { { "Status", s.status }, { "Pid", s.pid }, { "ExitCode", s.exit_code }, { "OOMKilled", s.oom_killed },
                { "Error", s.error }, { "StartedAt", s.started_at }, { "FinishedAt", s.finished_at },
                { "SupervisorPid", s.supervisor_pid } } },
    };
}

ErrorOr<Container> container_from_json(const nlohmann::json& json)
{
    if (!json.is_object())
        return Error::from_string("container record: not a JSON object");
    Container c;
    try {
        read(json, "Id", c.id);
        read(json, "Name", c.name);
        read(json, "Created", c.created);
        read(json, "Image", c.image);
        read(json, "ImageID", c.image_id);
        if (auto it = json.find("Request"); it != json.end())
            c.request = *it;
        read(json, "RestartCount", c.restart_count);
        read(json, "HasBeenManuallyStopped", c.manually_stopped);
        read(json, "LogPath", c.log_path);
        if (auto it = json.find("Mounts"); it != json.end() && it->is_array()) {
            for (auto const& m : *it) {
                MountPoint point;
                read(m, "Type", point.type);
                read(m, "Name", point.name);
                read(m, "Source", point.source);
                read(m, "Destination", point.destination);
                read(m, "Mode", point.mode);
                read(m, "RW", point.rw);
                read(m, "Propagation", point.propagation);
                read(m, "NoCopy", point.no_copy);
                read(m, "Anonymous", point.anonymous);
                c.mounts.push_back(std::move(point));
            }
        }
        if (auto it = json.find("State"); it != json.end() && it->is_object()) {
            auto& s = c.state;
            read(*it, "Status", s.status);
            read(*it, "Pid", s.pid);
            read(*it, "ExitCode", s.exit_code);
            read(*it, "OOMKilled", s.oom_killed);
            read(*it, "Error", s.error);
            read(*it, "StartedAt", s.started_at);
            read(*it, "FinishedAt", s.finished_at);
            read(*it, "SupervisorPid", s.supervisor_pid);
        }
    } catch (const nlohmann::json::exception& e) {
        return Error::from_string(std::string("container record: ") + e.what());
    }
    if (c.id.size() != 64 || c.id.find_first_not_of("0123456789abcdef") != std::string::npos)
        return Error::from_string("container record: Id: expected 64 hex digits");
    return c;
}

} // namespace corral::engine
