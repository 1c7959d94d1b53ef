// Header-only module: SwiftPM needs one source file in a C target.
#include "CSupport.h"
