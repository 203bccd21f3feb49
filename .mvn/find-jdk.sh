# Sourced by ./mvnw and ./spinup: exports JAVA_HOME pointing at a JDK >= 21.
# JAVA_HOME wins when it is new enough; otherwise the newest JDK installed in the
# usual system locations is used, so a machine whose default `java` is 17 needs no setup.
spinup_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}
spinup_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] &&
     [ "$(spinup_java_major "$JAVA_HOME")" -ge 21 ] 2>/dev/null; then
    return 0
  fi
  best="" best_major=0
  for dir in /usr/lib/jvm/* /usr/java/* /opt/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$dir/bin/javac" ] || continue
    major=$(spinup_java_major "$dir")
    if [ -n "$major" ] && [ "$major" -gt "$best_major" ]; then best=$dir best_major=$major; fi
  done
  if [ "$best_major" -lt 21 ]; then
    echo "error: SpinUp needs a JDK 21 or newer; set JAVA_HOME or install one (e.g. apt-get install openjdk-21-jdk)" >&2
    return 1
  fi
  export JAVA_HOME="$best"
}
spinup_find_jdk || exit 1
