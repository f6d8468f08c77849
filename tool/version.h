/* The one place the version lives: --version, -v output and the image agree. */
#ifndef MKB_VERSION_H
#define MKB_VERSION_H

#define MKB_VERSION "0.1"

#endif
