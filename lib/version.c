#include "rfm.h"

#define RFM__STR2(x) #x
#define RFM__STR(x) RFM__STR2(x)

unsigned rfm_version_number(void)
{
    return RFM_VERSION_NUMBER;
}

const char *rfm_version_string(void)
{
    return RFM__STR(RFM_VERSION_MAJOR) "." RFM__STR(RFM_VERSION_MINOR) "." RFM__STR(
        RFM_VERSION_PATCH);
}
