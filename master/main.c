/* main.c - the standalone minidfs-master executable. */
#include "master.h"

int main(int argc, char **argv)
{
    return master_main(argc, argv);
}
