# Install rules beyond the binaries, and the Debian packages (CPack), in two
# components: covmon-collector (collector, covmon, covmon-graph, the broker's
# files and enrolment scripts) and covmon-agent (what a village device needs).
#   cmake --build build && (cd build && cpack -G DEB)
# Included at the end of the top-level CMakeLists.txt.

include(GNUInstallDirs)

set(covmon_deploy ${CMAKE_SOURCE_DIR}/deploy)
# Config examples go to /etc/covmon whatever the prefix (Debian's place; a
# /usr/local install as a user needs DESTDIR).
set(COVMON_SYSCONFDIR "/etc" CACHE PATH "Where /etc/covmon goes")
set(covmon_unitdir lib/systemd/system)
set(covmon_sharedir ${CMAKE_INSTALL_DATADIR}/covmon)

# Units: systemd reads /usr/lib/systemd/system and /usr/local/lib/systemd/system.
install(FILES ${covmon_deploy}/systemd/covmon-agent.service
        DESTINATION ${covmon_unitdir} COMPONENT agent)
install(FILES ${covmon_deploy}/systemd/covmon-collector.service
        DESTINATION ${covmon_unitdir} COMPONENT collector)
install(FILES ${covmon_deploy}/conf/agent.conf.example
        DESTINATION ${COVMON_SYSCONFDIR}/covmon COMPONENT agent)
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

# Manual pages (handwritten roff in docs/man), gzipped as Debian wants them.
file(GLOB covmon_man_pages CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/*.[15])
find_program(GZIP_EXECUTABLE gzip)
set(covmon_man_out)
foreach(page ${covmon_man_pages})
  get_filename_component(name ${page} NAME)
  string(REGEX REPLACE ".*\\.([15])$" "\\1" section ${name})
  if(name MATCHES "^covmon-agent")
    set(component agent)
  else()
    set(component collector)
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

# Debian packages --------------------------------------------------------
set(CPACK_PACKAGE_NAME covmon)
set(CPACK_PACKAGE_VENDOR "covmon")
set(CPACK_PACKAGE_CONTACT "covmon maintainers <covmon@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "network coverage monitoring for mountain villages")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL collector agent)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/covmon")

set(CPACK_DEBIAN_COLLECTOR_PACKAGE_NAME covmon-collector)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_RECOMMENDS "mosquitto, mosquitto-clients, openssl, rrdcached, sqlite3")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_SUGGESTS "rrdtool")
set(CPACK_DEBIAN_COLLECTOR_DESCRIPTION
  "covmon collector, dashboard, CLI and graphs\ncovmon-collector stores the samples of the village agents in RRD files,\nevaluates coverage against the rollout targets, alerts and serves the\ndashboard and API; covmon is its CLI, covmon-graph renders graphs and\nreports. Also ships the province broker's mosquitto config, ACL and the\nenrolment scripts.")
set(CPACK_DEBIAN_AGENT_PACKAGE_NAME covmon-agent)
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_AGENT_DESCRIPTION
  "covmon agent for village access points\ncovmon-agent measures a site's link (ICMP, TCP, SNMP, passive capture)\nevery interval and reports to the province's MQTT broker, keeping its\nsamples in a disk spool until the collector has stored them.")

# Maintainer scripts and conffiles per package, made from deploy/debian/*.in.
foreach(comp collector agent)
  set(PKG covmon-${comp})
  if(comp STREQUAL collector)
    set(STATE covmon)
  else()
    set(STATE covmon-agent)
  endif()
  set(dir ${CMAKE_BINARY_DIR}/debian/${comp})
  foreach(script postinst prerm postrm)
    configure_file(${covmon_deploy}/debian/${script}.in ${dir}/${script} @ONLY
                   FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                   GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  endforeach()
  file(WRITE ${dir}/conffiles "${COVMON_SYSCONFDIR}/covmon/${comp}.conf.example\n")
  string(TOUPPER ${comp} COMP)
  set(CPACK_DEBIAN_${COMP}_PACKAGE_CONTROL_EXTRA
      "${dir}/postinst;${dir}/prerm;${dir}/postrm;${dir}/conffiles")
  set(CPACK_DEBIAN_${COMP}_PACKAGE_CONTROL_STRICT_PERMISSION ON)
endforeach()

include(CPack)
