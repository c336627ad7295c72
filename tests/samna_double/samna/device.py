"""samna.device: enumeration, open and close (samna's deviceController)."""
import threading

from . import _control

_lock = threading.Lock()
_open = {}  # (bus, address) -> DevKit


class DeviceInfo:
    __slots__ = ("serial_number", "usb_bus_number", "usb_device_address", "logic_version",
                 "device_type_name")

    def __init__(self, d):
        self.serial_number = d.get("serial", "")
        self.usb_bus_number = d.get("bus", 0)
        self.usb_device_address = d.get("address", 0)
        self.logic_version = d.get("logic_version", 0)
        self.device_type_name = d.get("type", "Speck2eDevKit")

    def __repr__(self):
        return (f"device::DeviceInfo(serial_number={self.serial_number}, "
                f"usb_bus_number={self.usb_bus_number}, "
                f"usb_device_address={self.usb_device_address}, "
                f"logic_version={self.logic_version}, "
                f"device_type_name={self.device_type_name})")


def _devices():
    return [DeviceInfo(d) for d in _control.settings().get("devices", _control.DEFAULT_DEVICES)]


def get_all_devices():
    return _devices()


def get_unopened_devices():
    with _lock:
        return [i for i in _devices() if (i.usb_bus_number, i.usb_device_address) not in _open]


def get_opened_devices():
    with _lock:
        return [i for i in _devices() if (i.usb_bus_number, i.usb_device_address) in _open]


def open_device(info, default_config=None):
    from ._board import DevKit
    _control.record("device.open_device", type=info.device_type_name,
                    bus=info.usb_bus_number, address=info.usb_device_address)
    key = (info.usb_bus_number, info.usb_device_address)
    if info.usb_device_address in _control.settings().get("busy", []):
        raise RuntimeError(f"Device {info.device_type_name} is already opened in another "
                           f"process and cannot be opened again")
    with _lock:
        if key not in _open:
            _open[key] = DevKit(info)
        return _open[key]


def close_device(handle):
    _control.record("device.close_device")
    with _lock:
        for key, board in list(_open.items()):
            if board is handle:
                del _open[key]
    handle._close()
