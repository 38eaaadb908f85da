# make install [DESTDIR=...] [PREFIX=/usr]: the programs, units, udev rule,
# man page and example configuration.  Paths in the units follow SBINDIR.
PREFIX      ?= /usr
SBINDIR     ?= $(PREFIX)/sbin
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/vfctl
UNITDIR     ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
UDEVRULESDIR ?= $(shell pkg-config --variable=udevdir udev 2>/dev/null || echo /lib/udev)/rules.d
SYSCONFDIR  ?= /etc
INSTALL     ?= install

install: $(BUILD)/vfctl $(BUILD)/vfvm
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(SYSCONFDIR)/vfctl.d $(DESTDIR)$(SYSCONFDIR)/vfvm \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 0755 $(BUILD)/vfctl $(DESTDIR)$(SBINDIR)/vfctl
	$(INSTALL) -m 0755 $(BUILD)/vfvm $(DESTDIR)$(BINDIR)/vfvm
	for u in vfctl-apply.service vfctl-apply@.service vfvm@.service; do \
		sed -e 's|/usr/sbin/vfctl|$(SBINDIR)/vfctl|' -e 's|/usr/bin/vfvm|$(BINDIR)/vfvm|' systemd/$$u >$(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	$(INSTALL) -m 0644 systemd/90-vfctl.rules $(DESTDIR)$(UDEVRULESDIR)/90-vfctl.rules
	$(INSTALL) -m 0644 docs/vfctl.d.example.conf $(DESTDIR)$(DOCDIR)/examples/vfctl.d.example.conf
	$(INSTALL) -m 0644 docs/vfctl.8 $(DESTDIR)$(MANDIR)/man8/vfctl.8
	$(INSTALL) -m 0644 docs/vfvm.1 $(DESTDIR)$(MANDIR)/man1/vfvm.1
	@echo "installed; enable the boot-time apply with: systemctl enable vfctl-apply.service"

.PHONY: install
