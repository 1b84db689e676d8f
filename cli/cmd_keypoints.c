/* placeholder replaced below */
#include "commands.h"
int snf_cmd_keypoints(int argc, char **argv) { (void)argc; (void)argv; return 2; }
