// corral-init as a program of its own, linked statically (see
// container_init.h): the file the executor binds into containers as
// /sbin/docker-init when the running binary is dynamically linked.

#include "runtime/container_init.h"

int main(int argc, char** argv)
{
    return corral::runtime::container_init_main(argc, argv);
}
