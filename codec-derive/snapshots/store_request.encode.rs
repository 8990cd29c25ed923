const _: () = {
    use ::codec as _codec;
    #[automatically_derived]
    impl _codec::Encode for StoreRequest {
        #[inline]
        fn encoded_len(&self) -> _codec::__private::usize {
            0 + <u8 as _codec::Encode>::encoded_len(&self.trans)
                + {
                    let __n = <String as _codec::EncodeSeq>::seq_count(
                        &self.name,
                        _codec::__private::Unit::Elements,
                    );
                    _codec::__private::LenPrefix::U8.size(__n)
                        + <String as _codec::EncodeSeq>::seq_encoded_len(&self.name)
                }
                + {
                    let __n = <Vec<
                        u8,
                    > as _codec::EncodeSeq>::seq_count(
                        &self.data,
                        _codec::__private::Unit::Elements,
                    );
                    _codec::__private::LenPrefix::U16.size(__n)
                        + <Vec<u8> as _codec::EncodeSeq>::seq_encoded_len(&self.data)
                }
        }
        #[inline]
        fn encode_with(
            &self,
            __buf: &mut _codec::__private::Vec<_codec::__private::u8>,
            _: _codec::Endian,
        ) -> _codec::__private::Result<(), _codec::EncodeError> {
            {
                let mut __run = [0u8; 0 + <u8 as _codec::__private::Fixed>::SIZE
                    + <_codec::__private::u8 as _codec::__private::Fixed>::SIZE];
                let mut __at = 0usize;
                _codec::__private::Fixed::put(
                    &self.trans,
                    &mut __run,
                    &mut __at,
                    _codec::Endian::Big,
                );
                _codec::__private::Fixed::put(
                    &_codec::__private::encode_ctx(
                        _codec::__private::len_field::<
                            _codec::__private::u8,
                        >(
                            <String as _codec::EncodeSeq>::seq_count(
                                &self.name,
                                _codec::__private::Unit::Elements,
                            ),
                            "u8",
                        ),
                        "StoreRequest",
                        "name",
                    )?,
                    &mut __run,
                    &mut __at,
                    _codec::Endian::Big,
                );
                __buf.extend_from_slice(&__run);
            }
            _codec::__private::encode_ctx(
                <String as _codec::EncodeSeq>::encode_seq(
                    &self.name,
                    __buf,
                    _codec::Endian::Big,
                ),
                "StoreRequest",
                "name",
            )?;
            _codec::__private::encode_ctx(
                _codec::__private::LenPrefix::U16
                    .write(
                        <Vec<
                            u8,
                        > as _codec::EncodeSeq>::seq_count(
                            &self.data,
                            _codec::__private::Unit::Elements,
                        ),
                        __buf,
                        _codec::Endian::Big,
                    ),
                "StoreRequest",
                "data",
            )?;
            _codec::__private::encode_ctx(
                <Vec<
                    u8,
                > as _codec::EncodeSeq>::encode_seq(
                    &self.data,
                    __buf,
                    _codec::Endian::Big,
                ),
                "StoreRequest",
                "data",
            )?;
            _codec::__private::Ok(())
        }
    }
};
