"""Default answers of serverless backends that apps reach with plain requests, so that an unmocked app stays on its
happy path where the backend's protocol is public.

uniCloud (DCloud's serverless platform, used by uni-app projects): the client SDK bundled in ``common/vendor.js``
POSTs ``{method, params, spaceId, token, timestamp}`` to ``https://api.bspapp.com/client`` (Alibaba Cloud spaces;
``api.next.bspapp.com`` for Alipay Cloud spaces) and reads ``{success, data}``. Without an access token from
``serverless.auth.user.anonymousAuthorize`` every ``uniCloud.callFunction`` and database call rejects ("获取
accessToken失败"), so the default answer gives one; a cloud function's answer is the request default body (the
``shaped`` design of bodies.py), as ``res.result``.

Cloud storage (``wx.cloud.getTempFileURL`` / ``deleteFile``, and an Alipay cloud context's): one entry per file the
call names, as the platform answers (``res.fileList[0].tempFileURL``).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from .urls import host_of

UNICLOUD_HOSTS = ("api.bspapp.com", "api.next.bspapp.com")
UNICLOUD_TOKEN = "mpsb-unicloud-access-token"


def backend_answer(url: Any, data: Any, default_body: Callable[[], Any]) -> Any | None:
    """The body a known backend would answer this request with, or None when the URL is no known backend's."""
    if not isinstance(url, str) or host_of(url) not in UNICLOUD_HOSTS:
        return None
    payload = data
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            payload = None
    method = payload.get("method") if isinstance(payload, dict) else None
    if method == "serverless.auth.user.anonymousAuthorize":
        return {"success": True, "data": {"accessToken": UNICLOUD_TOKEN, "expiresInSecond": 7200}}
    if method == "serverless.function.runtime.invoke":
        return {"success": True, "data": default_body()}
    if method == "serverless.file.resource.generateProximalSign":
        return {"success": True, "data": {"id": "mpsb-file", "cdnDomain": "mpsb-unicloud.bspapp.com",
                                          "host": "https://mpsb-unicloud.oss-cn-zhangjiakou.aliyuncs.com",
                                          "ossPath": "mpsb/upload.bin", "signature": "", "policy": "",
                                          "accessKeyId": "", "securityToken": ""}}
    return {"success": True, "data": {}}


CLOUD_FILE_METHODS = ("getTempFileURL", "deleteFile")


def cloud_file_list(method: str, options: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The ``fileList`` a cloud storage call answers: an entry per requested file (a fileID, or {fileID, maxAge})."""
    if method not in CLOUD_FILE_METHODS:
        return None
    requested = options.get("fileList")
    out: list[dict[str, Any]] = []
    for item in requested if isinstance(requested, list) else []:
        file_id = item.get("fileID") if isinstance(item, dict) else item
        if not isinstance(file_id, str):
            continue
        entry: dict[str, Any] = {"fileID": file_id, "status": 0, "errMsg": "ok"}
        if method == "getTempFileURL":
            path = file_id.split("://", 1)[-1].split("/", 1)[-1]
            entry.update(tempFileURL=f"https://mpsb-cloud.tcb.qcloud.la/{path}", maxAge=86400)
        out.append(entry)
        if len(out) >= 100:
            break
    return out
