const store = require('../../utils/store')

const API = 'https://api.example-todo.com/todos'

Page({
  data: { draft: '', todos: [], left: 0, synced: false },

  onLoad() {
    this.show(store.load())
  },

  show(todos, extra) {
    store.save(todos)
    this.setData(Object.assign({ todos, left: todos.filter(t => !t.done).length }, extra || {}))
  },

  onDraft(e) {
    this.setData({ draft: e.detail.value })
  },

  onAdd() {
    const title = this.data.draft.trim()
    if (!title) return
    const todos = this.data.todos.concat([{ id: store.nextId(this.data.todos), title, done: false }])
    this.show(todos, { draft: '', synced: false })
  },

  onToggle(e) {
    const id = e.currentTarget.dataset.id
    this.show(this.data.todos.map(t => (t.id === id ? Object.assign({}, t, { done: !t.done }) : t)), { synced: false })
  },

  onRemove(e) {
    const id = e.currentTarget.dataset.id
    this.show(this.data.todos.filter(t => t.id !== id), { synced: false })
  },

  // pull down to send the list to the server and take back what it keeps
  onPullDownRefresh() {
    wx.request({
      url: API,
      method: 'PUT',
      data: { todos: this.data.todos },
      success: res => {
        const kept = res.data && Array.isArray(res.data.todos) ? res.data.todos : this.data.todos
        this.show(kept, { synced: res.statusCode === 200 })
      },
      fail: () => this.setData({ synced: false }),
      complete: () => wx.stopPullDownRefresh()
    })
  }
})
