# Sourced by the spinup-* commands: sets JAVA to a Java >= 21. JAVA_HOME wins when it is new
# enough; otherwise the newest Java under /usr/lib/jvm (Debian's and Temurin's packages) is used.
spinup_java_major() {
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}
JAVA=""
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(spinup_java_major "$JAVA_HOME/bin/java")" -ge 21 ] 2>/dev/null; then
  JAVA="$JAVA_HOME/bin/java"
else
  best_major=0
  for dir in /usr/lib/jvm/*; do
    [ -x "$dir/bin/java" ] || continue
    major=$(spinup_java_major "$dir/bin/java")
    if [ -n "$major" ] && [ "$major" -gt "$best_major" ]; then JAVA="$dir/bin/java" best_major=$major; fi
  done
  if [ "$best_major" -lt 21 ]; then
    echo "spinup: needs Java 21 or newer: install one under /usr/lib/jvm (e.g. a temurin-21-jre package) or set JAVA_HOME" >&2
    exit 1
  fi
fi
