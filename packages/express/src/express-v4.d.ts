// Express 4 is installed under an npm alias so both majors are tested side by side.
declare module 'express-v4' {
  import express from 'express'
  export default express
}
