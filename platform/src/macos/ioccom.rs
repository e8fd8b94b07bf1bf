//! The ioctl request numbers the macOS backend needs, computed the way `<sys/ioccom.h>` does.
//!
//! The `libc` crate has `CTLIOCGINFO` but not the interface ioctls (`SIOCSIFMTU`,
//! `SIOCAIFADDR`, ...), and copying magic hex numbers would hide how they were derived. A
//! BSD ioctl number packs the direction (`IOC_OUT` 0x4000_0000: the kernel copies the argument
//! out; `IOC_IN` 0x8000_0000: it copies it in), the argument's size (13 bits), a group letter
//! and a number: `_IOW('i', 52, struct ifreq)` is "copy a 32-byte ifreq in, group `i`, 52".
//! The structure sizes are the Darwin ABI's, identical on x86_64 and arm64, and the tests pin
//! every number to the value the SDK headers expand to.

/// Mask of the 13-bit parameter length (`IOCPARM_MASK`).
const IOCPARM_MASK: u32 = 0x1fff;
/// The kernel copies the argument back out (`IOC_OUT`).
const IOC_OUT: u32 = 0x4000_0000;
/// The kernel copies the argument in (`IOC_IN`).
const IOC_IN: u32 = 0x8000_0000;

/// `sizeof(struct ifreq)` on Darwin: a 16-byte name and a 16-byte union.
pub(crate) const IFREQ_SIZE: u32 = 32;
/// `sizeof(struct ifaliasreq)` on Darwin: a 16-byte name and three 16-byte sockaddrs.
pub(crate) const IFALIASREQ_SIZE: u32 = 64;
/// `sizeof(struct ctl_info)`: a u32 id and a 96-byte name.
pub(crate) const CTL_INFO_SIZE: u32 = 100;

/// `_IOC(inout, group, num, len)`.
const fn ioc(inout: u32, group: u8, num: u8, len: u32) -> u32 {
    inout | ((len & IOCPARM_MASK) << 16) | ((group as u32) << 8) | num as u32
}

/// `_IOW`: the argument is only read by the kernel.
const fn iow(group: u8, num: u8, len: u32) -> u32 {
    ioc(IOC_IN, group, num, len)
}

/// `_IOWR`: the kernel reads and writes the argument.
const fn iowr(group: u8, num: u8, len: u32) -> u32 {
    ioc(IOC_IN | IOC_OUT, group, num, len)
}

/// `SIOCSIFFLAGS`: set an interface's flags (bring it up).
pub(crate) const SIOCSIFFLAGS: u32 = iow(b'i', 16, IFREQ_SIZE);
/// `SIOCGIFFLAGS`: read an interface's flags.
pub(crate) const SIOCGIFFLAGS: u32 = iowr(b'i', 17, IFREQ_SIZE);
/// `SIOCAIFADDR`: add (or change) an IPv4 address with its netmask and peer.
pub(crate) const SIOCAIFADDR: u32 = iow(b'i', 26, IFALIASREQ_SIZE);
/// `SIOCGIFMTU`: read an interface's MTU.
pub(crate) const SIOCGIFMTU: u32 = iowr(b'i', 51, IFREQ_SIZE);
/// `SIOCSIFMTU`: set an interface's MTU.
pub(crate) const SIOCSIFMTU: u32 = iow(b'i', 52, IFREQ_SIZE);
/// `CTLIOCGINFO`: look up a kernel control's id by name.
pub(crate) const CTLIOCGINFO: u32 = iowr(b'N', 3, CTL_INFO_SIZE);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_the_sdk_headers() {
        // Values as the macOS SDK's <sys/sockio.h> and <sys/kern_control.h> expand them.
        assert_eq!(SIOCSIFFLAGS, 0x8020_6910);
        assert_eq!(SIOCGIFFLAGS, 0xc020_6911);
        assert_eq!(SIOCAIFADDR, 0x8040_691a);
        assert_eq!(SIOCGIFMTU, 0xc020_6933);
        assert_eq!(SIOCSIFMTU, 0x8020_6934);
        assert_eq!(CTLIOCGINFO, 0xc064_4e03);
    }

    #[cfg(target_os = "macos")]
    #[test]
    fn sizes_match_the_libc_structs() {
        assert_eq!(std::mem::size_of::<libc::ifreq>() as u32, IFREQ_SIZE);
        assert_eq!(
            std::mem::size_of::<libc::ifaliasreq>() as u32,
            IFALIASREQ_SIZE
        );
        assert_eq!(std::mem::size_of::<libc::ctl_info>() as u32, CTL_INFO_SIZE);
        assert_eq!(libc::c_ulong::from(CTLIOCGINFO), libc::CTLIOCGINFO);
    }
}
