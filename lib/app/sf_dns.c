/* SPDX-License-Identifier: BSD-3-Clause */
#include "sf_app.h"
