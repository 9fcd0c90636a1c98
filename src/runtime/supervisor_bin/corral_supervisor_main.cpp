// corral-supervisor as a program of its own (see supervisor.h). Linked
// statically: it starts once per container and should cost little to
// start and to keep.

#include "runtime/supervisor.h"

int main(int argc, char** argv)
{
    return corral::runtime::supervisor_main(argc, argv);
}
