/* torta-sim entry point. */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("torta-sim " TORTA_VERSION "\n");
    return 0;
}
