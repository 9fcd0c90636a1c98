#include "cli/user_docker.h"

#include <cstdio>

namespace corral::cli {

int user_docker(const config::Paths&, const UserDockerOptions&)
{
    std::fputs("ros user-docker: being written\n", stderr);
    return 1;
}

} // namespace corral::cli
