! read_samples: decode the samples of an archive's streams with libsiqaco from Fortran and
! print one line per contiguous segment, in the format of examples/c/read_samples.c:
!   NSLC START END COUNT SUM MIN MAX
! Every segment is copied with siqaco_samples_copy_float64 into an allocatable array sized
! by a first call that asks for the count (SIQACO_STATUS_BUFFER_TOO_SMALL).
!
! Usage: read_samples [ROOT [SELECTION]]   (as examples/c/read_samples.c)
! Build: gfortran siqaco.f90 read_samples.f90 $(pkg-config --libs siqaco) -o read_samples_f
program read_samples
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: error_unit
  use siqaco
  implicit none

  character(len=4096) :: root, selection
  type(c_ptr) :: archive, samples
  type(siqaco_sample_segment) :: seg
  integer(c_int32_t) :: st
  integer(c_size_t) :: nseg, i, n
  real(c_double), allocatable :: values(:)
  real(c_double) :: dummy(1), total, lo, hi

  root = "tests/data/sds-small"
  selection = ""
  if (command_argument_count() >= 1) call get_command_argument(1, root)
  if (command_argument_count() >= 2) call get_command_argument(2, selection)

  archive = c_null_ptr
  samples = c_null_ptr
  st = siqaco_archive_open(trim(root)//c_null_char, "sds"//c_null_char, archive)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_archive_open", st)
  st = siqaco_archive_read(archive, trim(selection)//c_null_char, SIQACO_TIME_UNSET, &
    SIQACO_TIME_UNSET, samples)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_archive_read", st)

  nseg = 0
  st = siqaco_samples_segment_count(samples, nseg)
  do i = 0, nseg - 1
    st = siqaco_samples_segment(samples, i, seg)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_samples_segment", st)
    ! size query: a zero-length buffer gives BUFFER_TOO_SMALL and the count
    n = 0
    st = siqaco_samples_copy_float64(samples, i, dummy, 0_c_size_t, n)
    if (st /= SIQACO_STATUS_BUFFER_TOO_SMALL .and. st /= SIQACO_STATUS_OK) &
      call fail("siqaco_samples_copy_float64 (size)", st)
    if (allocated(values)) deallocate (values)
    allocate (values(max(n, 1_c_size_t)))
    st = siqaco_samples_copy_float64(samples, i, values, n, n)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_samples_copy_float64", st)
    total = 0
    lo = 0
    hi = 0
    if (n > 0) then
      lo = minval(values(1:n))
      hi = maxval(values(1:n))
      total = sum_in_order(values(1:n))
    end if
    write (*, '(a)') siqaco_f_chars(seg%nslc)//" "//siqaco_f_time(seg%start_ns)//" "//siqaco_f_time(seg%end_ns)// &
      " "//itoa(int(n, c_int64_t))//" "//fixed3(total)//" "//fixed3(lo)//" "//fixed3(hi)
  end do
  write (error_unit, '(a,i0,a)') "read_samples (Fortran): ", nseg, " segment(s)"

  if (allocated(values)) deallocate (values)
  call siqaco_samples_free(samples)
  call siqaco_archive_free(archive)

contains

  subroutine fail(what, status)
    character(len=*), intent(in) :: what
    integer(c_int32_t), intent(in) :: status
    write (error_unit, '(a,i0,a)') "read_samples: "//what//": "// &
      siqaco_f_string(siqaco_status_str(status))//" (", status, "): "//siqaco_f_last_error()
    call siqaco_samples_free(samples)
    call siqaco_archive_free(archive)
    error stop 1
  end subroutine fail

  ! The sum in index order (as the C example adds them).
  function sum_in_order(v) result(s)
    real(c_double), intent(in) :: v(:)
    real(c_double) :: s
    integer(c_size_t) :: k
    s = 0
    do k = 1, size(v, kind=c_size_t)
      s = s + v(k)
    end do
  end function sum_in_order

  ! A double with 3 decimals, as C's "%.3f".
  function fixed3(x) result(s)
    real(c_double), intent(in) :: x
    character(len=:), allocatable :: s
    character(len=40) :: buf
    write (buf, '(f40.3)') x
    s = trim(adjustl(buf))
  end function fixed3

  function itoa(n) result(s)
    integer(c_int64_t), intent(in) :: n
    character(len=:), allocatable :: s
    character(len=24) :: buf
    write (buf, '(i0)') n
    s = trim(buf)
  end function itoa
end program read_samples
