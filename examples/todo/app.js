App({
  onLaunch() {
    this.globalData = { launchedAt: Date.now() }
  }
})
