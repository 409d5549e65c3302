# Install rules beyond the binaries, in two components: collector
# (covmon-collector, covmon, covmon-graph, the broker's files and enrolment
# scripts) and agent (what a village device needs). The Debian packages
# (deploy/debian/, deploy/build-debs.sh) are made from these rules:
# dh_auto_install runs them into debian/tmp and debian/*.install share the
# files out between covmon-collector and covmon-agent.
# Included at the end of the top-level CMakeLists.txt.

include(GNUInstallDirs)

set(covmon_deploy ${CMAKE_SOURCE_DIR}/deploy)
# Config examples go to /etc/covmon whatever the prefix (Debian's place; a
# /usr/local install as a user needs DESTDIR).
set(COVMON_SYSCONFDIR "/etc" CACHE PATH "Where /etc/covmon goes")
# Units: systemd reads /usr/lib/systemd/system and /usr/local/lib/systemd/system
# (relative: under the prefix); Debian 12's debhelper wants /lib/systemd/system.
set(COVMON_SYSTEMDUNITDIR "lib/systemd/system" CACHE PATH "Where the systemd units go")
set(covmon_unitdir ${COVMON_SYSTEMDUNITDIR})
set(covmon_sharedir ${CMAKE_INSTALL_DATADIR}/covmon)

if(COVMON_AGENT)
  install(FILES ${covmon_deploy}/systemd/covmon-agent.service
          DESTINATION ${covmon_unitdir} COMPONENT agent)
  install(FILES ${covmon_deploy}/conf/agent.conf.example
          DESTINATION ${COVMON_SYSCONFDIR}/covmon COMPONENT agent)
endif()

if(COVMON_COLLECTOR)
  install(FILES ${covmon_deploy}/systemd/covmon-collector.service
          DESTINATION ${covmon_unitdir} COMPONENT collector)
  install(FILES ${covmon_deploy}/conf/collector.conf.example
          DESTINATION ${COVMON_SYSCONFDIR}/covmon COMPONENT collector)

  # The broker's side lives with the collector: config, ACL, CA and enrolment.
  install(PROGRAMS ${covmon_deploy}/enroll-agent DESTINATION ${CMAKE_INSTALL_SBINDIR}
          RENAME covmon-enroll-agent COMPONENT collector)
  install(PROGRAMS ${covmon_deploy}/make-ca DESTINATION ${CMAKE_INSTALL_SBINDIR}
          RENAME covmon-make-ca COMPONENT collector)
  install(FILES ${covmon_deploy}/mosquitto/covmon.conf ${covmon_deploy}/mosquitto/covmon.acl
          DESTINATION ${covmon_sharedir}/mosquitto COMPONENT collector)
  install(FILES ${covmon_deploy}/rrdcached/rrdcached.default
          DESTINATION ${covmon_sharedir}/rrdcached COMPONENT collector)
  install(FILES ${covmon_deploy}/systemd/covmon-collector.service.d/rrdcached.conf
          DESTINATION ${covmon_sharedir}/systemd/covmon-collector.service.d COMPONENT collector)
  install(PROGRAMS ${covmon_deploy}/notify/sms-gammu DESTINATION ${covmon_sharedir}/notify
    COMPONENT collector)
  install(DIRECTORY ${covmon_deploy}/bridge/ DESTINATION ${covmon_sharedir}/bridge
          COMPONENT collector)
  # The web front (nginx), and the Prometheus and Grafana side: examples to
  # copy into /etc/nginx, /etc/prometheus and Grafana.
  install(FILES ${covmon_deploy}/nginx/covmon.conf DESTINATION ${covmon_sharedir}/nginx
          COMPONENT collector)
  install(FILES ${covmon_deploy}/prometheus/prometheus.yml ${covmon_deploy}/prometheus/covmon-rules.yml
          ${covmon_deploy}/prometheus/covmon-rules.test.yml
          DESTINATION ${covmon_sharedir}/prometheus COMPONENT collector)
  install(FILES ${covmon_deploy}/grafana/covmon.json DESTINATION ${covmon_sharedir}/grafana
          COMPONENT collector)
endif()

# Manual pages (handwritten roff in docs/man), gzipped as Debian wants them.
file(GLOB covmon_man_pages CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/*.[158])
find_program(GZIP_EXECUTABLE gzip)
set(covmon_man_out)
foreach(page ${covmon_man_pages})
  get_filename_component(name ${page} NAME)
  string(REGEX REPLACE ".*\\.([158])$" "\\1" section ${name})
  if(name MATCHES "^covmon-agent")
    set(component agent)
    set(wanted ${COVMON_AGENT})
  else()
    set(component collector)
    set(wanted ${COVMON_COLLECTOR})
  endif()
  if(NOT wanted)
    continue()
  endif()
  if(GZIP_EXECUTABLE)
    set(out ${CMAKE_BINARY_DIR}/man/${name}.gz)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${GZIP_EXECUTABLE} -9nc ${page} > ${out}
      DEPENDS ${page} VERBATIM)
    list(APPEND covmon_man_out ${out})
  else()
    set(out ${page})
  endif()
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT ${component})
endforeach()
add_custom_target(covmon_man ALL DEPENDS ${covmon_man_out})
