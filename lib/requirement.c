/* The requirement document: parse, check and print it (schema/requirement.schema.json). */
#include "config.h"

#include "requirement.h"
