// Koa 2 is installed under an npm alias so both majors are tested side by side.
declare module 'koa-v2' {
  import Koa from 'koa'
  export default Koa
}
