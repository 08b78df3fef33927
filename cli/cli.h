#ifndef CLI_CLI_H
#define CLI_CLI_H

#define GASANG_VERSION "0.1"
#define CLI_EXIT_USAGE 2

int cmd_run(int argc, char **argv);
int cmd_img(int argc, char **argv);
int cmd_oci(int argc, char **argv);
int cmd_ctr(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_list(int argc, char **argv);

#endif
