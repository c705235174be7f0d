"""pydantic models of a bundle's JSON configuration. Unknown keys are kept, never rejected."""

from typing import Any, List

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator


class _Config(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ScopeDeclaration(_Config):
    desc: str = ""


class SubPackage(_Config):
    root: str
    pages: list[str] = Field(default_factory=list)
    name: str | None = None
    independent: bool = False

    @field_validator("root")
    @classmethod
    def _root(cls, v: str) -> str:
        return v.strip().strip("/")


class TabItem(_Config):
    page_path: str = Field("", alias="pagePath")
    text: str = ""
    icon_path: str | None = Field(None, alias="iconPath")
    selected_icon_path: str | None = Field(None, alias="selectedIconPath")

    @model_validator(mode="before")
    @classmethod
    def _alipay(cls, data: Any) -> Any:
        if isinstance(data, dict) and "name" in data and "text" not in data:
            data = {**data, "text": data["name"]}
        return data


class TabBar(_Config):
    list: List[TabItem] = Field(default_factory=lambda: [], validation_alias=AliasChoices("list", "items"))
    custom: bool = False


class NetworkTimeout(_Config):
    request: int | None = None
    connect_socket: int | None = Field(None, alias="connectSocket")
    upload_file: int | None = Field(None, alias="uploadFile")
    download_file: int | None = Field(None, alias="downloadFile")


class AppConfig(_Config):
    pages: list[str] = Field(default_factory=list)
    subpackages: list[SubPackage] = Field(default_factory=list,
                                          validation_alias=AliasChoices("subpackages", "subPackages"))
    entry_page_path: str | None = Field(None, alias="entryPagePath")
    window: dict[str, Any] = Field(default_factory=dict)
    tab_bar: TabBar | None = Field(None, alias="tabBar")
    permission: dict[str, ScopeDeclaration] = Field(default_factory=dict)
    required_private_infos: list[str] = Field(default_factory=list, alias="requiredPrivateInfos")
    using_components: dict[str, str] = Field(default_factory=dict, alias="usingComponents")
    network_timeout: NetworkTimeout | None = Field(None, alias="networkTimeout")
    plugins: dict[str, Any] = Field(default_factory=dict)

    @field_validator("pages")
    @classmethod
    def _pages(cls, v: list[str]) -> list[str]:
        return [p.strip().strip("/") for p in v]

    @field_validator("permission", mode="before")
    @classmethod
    def _permission(cls, v: Any) -> Any:
        if isinstance(v, dict):  # tolerate {"scope.x": "why"} as well as {"scope.x": {"desc": "why"}}
            return {k: ({"desc": d} if isinstance(d, str) else d) for k, d in v.items()}
        return v

    @property
    def tab_pages(self) -> list[str]:
        return [i.page_path.strip("/") for i in (self.tab_bar.list if self.tab_bar else []) if i.page_path]


class PageConfig(_Config):
    using_components: dict[str, str] = Field(default_factory=dict, alias="usingComponents")
    component: bool = False
    navigation_bar_title_text: str | None = Field(None, alias="navigationBarTitleText")
    enable_pull_down_refresh: bool | None = Field(None, alias="enablePullDownRefresh")


class PackRule(_Config):
    type: str = ""
    value: str = ""


class PackOptions(_Config):
    ignore: list[PackRule] = Field(default_factory=list)


class ProjectConfig(_Config):
    miniprogram_root: str | None = Field(None, alias="miniprogramRoot")
    pack_options: PackOptions | None = Field(None, alias="packOptions")  # files the tools leave out of the upload
    appid: str | None = None
    project_name: str | None = Field(None, alias="projectname")
    compile_type: str | None = Field(None, alias="compileType")
