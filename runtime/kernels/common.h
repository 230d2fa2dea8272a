/* Helpers shared by the kernels. */
#ifndef DLK_COMMON_H
#define DLK_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*@ dlk_common */
#define DLK_MAX_RANK 8
/*@end*/

#endif
