"""Real device profiles: what the system-info APIs answer, so that a bundle cannot tell the review from a phone.

A run picks one profile and one host version by its seed (runtime/environment.py); every system-info API of the run
answers from them, shaped as the API gives it (getWindowInfo: the window, getDeviceInfo: the device, getAppBaseInfo:
the host app, getSystemInfo: all of it). Screen figures are CSS pixels (physical pixels / pixelRatio) of the real
models; host and base-library versions are plausible for 2026 (not taken from a device: unverified).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DeviceProfile:
    key: str
    brand: str
    model: str  # as WeChat writes it ("iPhone 15 Pro<iPhone16,1>" on iOS; the model code on Android)
    os: str  # "ios" | "android"
    os_version: str
    pixel_ratio: float
    screen: tuple[int, int]  # width, height
    status_bar: int
    bottom_inset: int  # the home indicator's height (0 with Android's navigation bar outside the window)
    memory_mb: int
    benchmark: int  # WeChat's benchmarkLevel (-1 on iOS: not given)
    cpu: str = "unknown"
    abi: str = "arm64-v8a"

    @property
    def ios(self) -> bool:
        return self.os == "ios"

    def model_on(self, platform: str) -> str:
        """Douyin writes an iPhone's marketing name, Alipay its identifier, WeChat both."""
        if not self.ios or "<" not in self.model:
            return self.model
        name, ident = self.model.rstrip(">").split("<", 1)
        return {"tt": name, "my": ident}.get(platform, self.model)


PROFILES: tuple[DeviceProfile, ...] = (
    DeviceProfile("iphone15pro", "iPhone", "iPhone 15 Pro<iPhone16,1>", "ios", "18.3.2", 3, (393, 852), 54, 34,
                  7_680, -1, "apple", "arm64"),
    DeviceProfile("iphone14", "iPhone", "iPhone 14<iPhone14,7>", "ios", "17.6.1", 3, (390, 844), 47, 34,
                  5_760, -1, "apple", "arm64"),
    DeviceProfile("iphone13promax", "iPhone", "iPhone 13 Pro Max<iPhone14,3>", "ios", "18.1.1", 3, (428, 926), 47, 34,
                  5_760, -1, "apple", "arm64"),
    DeviceProfile("xiaomi14", "Xiaomi", "23127PN0CC", "android", "15", 3, (400, 890), 39, 0, 15_487, 46,
                  "Qualcomm Technologies, Inc SM8650"),
    DeviceProfile("mate60pro", "HUAWEI", "ALN-AL00", "android", "12", 3.5, (360, 777), 36, 0, 11_548, 38,
                  "HiSilicon Kirin 9000S"),
    DeviceProfile("vivox100", "vivo", "V2309A", "android", "14", 3.5, (360, 800), 36, 0, 15_339, 44,
                  "MediaTek Dimensity 9300"),
)

# host app version, base library (SDK) version
HOST_VERSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "tt": (("33.9.0", "3.71.0"), ("34.2.0", "3.74.1"), ("34.6.0", "3.76.0")),
    "wx": (("8.0.61", "3.9.3"), ("8.0.63", "3.10.1"), ("8.0.64", "3.10.2")),
    "my": (("10.7.36", "2.9.46"), ("10.7.60", "2.9.50"), ("10.8.6", "2.9.52")),
}
APP_NAME = {"tt": "Douyin", "wx": "WeChat", "my": "alipay"}
NAV_BAR = {"ios": 44, "android": 48}


def profile(key: str) -> DeviceProfile:
    for p in PROFILES:
        if p.key == key:
            return p
    raise KeyError(f"no device profile {key!r}; profiles: {', '.join(p.key for p in PROFILES)}")


def window_info(device: DeviceProfile) -> dict[str, Any]:
    width, height = device.screen
    window_height = height - device.status_bar - NAV_BAR[device.os]
    bottom = height - device.bottom_inset
    return {
        "pixelRatio": device.pixel_ratio, "screenWidth": width, "screenHeight": height,
        "windowWidth": width, "windowHeight": window_height, "statusBarHeight": device.status_bar,
        "safeArea": {"left": 0, "right": width, "top": device.status_bar, "bottom": bottom, "width": width,
                     "height": bottom - device.status_bar},
        "screenTop": height - window_height,
    }


def device_info(device: DeviceProfile, platform: str) -> dict[str, Any]:
    os_name = "iOS" if device.ios else "Android"
    return {
        "brand": device.brand, "model": device.model_on(platform),
        "system": device.os_version if platform == "my" else f"{os_name} {device.os_version}",
        "platform": os_name if platform == "my" else device.os,
        "benchmarkLevel": device.benchmark, "memorySize": device.memory_mb, "abi": device.abi,
        "deviceAbi": device.abi, "cpuType": device.cpu,
    }


def app_base_info(platform: str, version: tuple[str, str]) -> dict[str, Any]:
    return {
        "SDKVersion": version[1], "version": version[0], "language": "zh-Hans" if platform == "my" else "zh_CN",
        "theme": "light", "fontSizeSetting": 16, "enableDebug": False, "appName": APP_NAME.get(platform, ""),
    }


def system_info(device: DeviceProfile, platform: str, version: tuple[str, str], api: str = "getSystemInfo"
                ) -> dict[str, Any]:
    """What ``api`` answers on ``device`` (getWindowInfo, getDeviceInfo, getAppBaseInfo; anything else: the whole
    system info)."""
    if api == "getWindowInfo":
        return window_info(device)
    if api == "getDeviceInfo":
        return device_info(device, platform)
    if api == "getAppBaseInfo":
        return app_base_info(platform, version)
    win = window_info(device)
    return {
        **device_info(device, platform), **win, **app_base_info(platform, version),
        "deviceOrientation": "portrait",
        "safeAreaInsets": {"top": device.status_bar, "left": 0, "right": 0, "bottom": device.bottom_inset},
        "albumAuthorized": True, "cameraAuthorized": True, "locationAuthorized": True, "microphoneAuthorized": True,
        "notificationAuthorized": True, "bluetoothEnabled": False, "locationEnabled": True, "wifiEnabled": True,
    }


def choose(seed: int, platform: str, salt: str = "") -> tuple[DeviceProfile, tuple[str, str]]:
    """The device and host version a run of ``seed`` uses (runtime/environment.py salts it with the bundle)."""
    digest = hashlib.sha256(f"device:{int(seed)}:{salt}".encode()).digest()
    versions = HOST_VERSIONS.get(platform, HOST_VERSIONS["wx"])
    return PROFILES[digest[0] % len(PROFILES)], versions[digest[1] % len(versions)]
