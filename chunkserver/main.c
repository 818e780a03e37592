/* main.c - the standalone minidfs-chunkserver executable. */
#include "chunkserver.h"

int main(int argc, char **argv)
{
    return chunkserver_main(argc, argv);
}
