#pragma once

// A container input shared by the spec builder tests: a small image with an
// /etc/passwd and /etc/group, on a cgroup v2 host.

#include "runtime/spec_builder.h"

#include <gtest/gtest.h>

namespace corral::runtime::test {

inline constexpr char PASSWD[] = "root:x:0:0:root:/root:/bin/sh\n"
                                 "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                 "app:x:1000:1000:App:/home/app:/bin/sh\n"
                                 "  \n"
                                 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

inline constexpr char GROUP[] = "root:x:0:\n"
                                "# a comment\n"
                                "wheel:x:10:root,app\n"
                                "audio:x:29:app\n"
                                "video:x:44:\n"
                                "nogroup:x:65534:\n"
                                "app:x:1000:\n";

inline const std::string ID = "0123456789ab" + std::string(52, 'c');
inline const std::string DIR = "/var/lib/system-docker/containers/" + ID;

inline BuildInput sample_input()
{
    BuildInput in;
    in.id = ID;
    in.name = "web";
    in.image.env = { "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8" };
    in.image.cmd = std::vector<std::string> { "sh" };
    in.passwd = PASSWD;
    in.group = GROUP;
    in.lower_dirs = { "/var/lib/system-docker/layers/2", "/var/lib/system-docker/layers/1" };
    in.upper_dir = DIR + "/upper";
    in.work_dir = DIR + "/work";
    in.rootfs = DIR + "/rootfs";
    in.resolv_conf_path = DIR + "/resolv.conf";
    in.hostname_path = DIR + "/hostname";
    in.hosts_path = DIR + "/hosts";
    in.cgroup_version = CgroupVersion::V2;
    return in;
}

inline Spec build(const BuildInput& in)
{
    auto spec = build_spec(in);
    if (spec.is_error()) {
        ADD_FAILURE() << "build_spec: " << spec.error().message();
        return Spec {};
    }
    return spec.release_value();
}

inline std::string build_error(const BuildInput& in)
{
    auto spec = build_spec(in);
    if (!spec.is_error())
        return "(no error)";
    return spec.error().message();
}

inline std::vector<std::string> strings(std::initializer_list<const char*> list)
{
    return std::vector<std::string>(list.begin(), list.end());
}

} // namespace corral::runtime::test
