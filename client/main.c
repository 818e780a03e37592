/* main.c - the standalone minidfs-client executable. */
#include "client.h"

int main(int argc, char **argv)
{
    return client_main(argc, argv);
}
