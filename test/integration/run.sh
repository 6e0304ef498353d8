#!/usr/bin/env bash
# placeholder runner, replaced by the integration harness
exec "$@"
