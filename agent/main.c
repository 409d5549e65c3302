/* Placeholder until this binary is written. */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("%s\n", COVMON_VERSION);
		return 0;
	}
	fprintf(stderr, "not yet implemented\n");
	return 1;
}
